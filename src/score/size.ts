const UNIT_BYTES = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3 } as const;
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kib|mib|gib|kb|mb|gb)?$/i;

const HINT = 'use bytes (65536) or a string like "64KiB", "1MiB", "500KB"';

/**
 * Why `value` is not a size, or null when it is one. Numbers are bytes; strings are bytes or
 * a number with a unit: `B`, binary `KiB` `MiB` `GiB` (1024) or decimal `KB` `MB` `GB` (1000),
 * any case. A size is at least one byte, counted whole (a fraction is rounded down).
 */
export function sizeProblem(value: unknown): string | null {
  const bytes = sizeBytes(value);
  if (bytes === null) return `invalid size ${JSON.stringify(value)}: ${HINT}`;
  return bytes < 1 ? `invalid size ${JSON.stringify(value)}: must be at least 1 byte` : null;
}

/** Bytes of a size of the score file, or null when `value` is not one. */
export function sizeBytes(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
  if (typeof value !== 'string') return null;
  const match = SIZE.exec(value.trim());
  if (match === null) return null;
  const unit = (match[2] ?? 'b').toLowerCase() as keyof typeof UNIT_BYTES;
  const bytes = Math.floor(Number(match[1]) * UNIT_BYTES[unit]);
  return Number.isSafeInteger(bytes) ? bytes : null;
}
