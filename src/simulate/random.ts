/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a small generator whose sequence depends only on its 32-bit seed, so a
 * simulation replays exactly on every machine and Node version.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit seed for one stream, from the simulation's seed and labels naming the stream
 * (run number, sheet, attempt). Each attempt draws from its own stream, so what one sheet
 * draws does not depend on the order the conductor happened to dispatch sheets in: two
 * simulations with different concurrency see the same latencies and failures.
 */
export function streamSeed(seed: number, ...labels: ReadonlyArray<string | number>): number {
  // FNV-1a over the text, then murmur3's finaliser to spread nearby inputs apart.
  const text = [seed, ...labels].join('\u0000');
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
