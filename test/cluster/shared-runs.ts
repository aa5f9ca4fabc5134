import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The program every attempt of these tests runs. */
export const ATTEMPT = resolve(import.meta.dirname, 'fixtures/attempt.mjs');

export interface SharedScore {
  name: string;
  dir: string;
  log: string;
  sheets: number;
  sleepMs: number;
  /** A file the attempts read their mode from (`ok`, `fail`, `limit N`). */
  modeFile?: string;
  concurrency?: number;
  sharedConcurrency?: number;
  sharedAs?: string;
  breaker?: { failures: number; cooldown: string };
  retries?: number;
  backoff?: string;
}

/** Writes a score whose sheets run `attempt.mjs` on one instrument, `api`, and returns its path. */
export function writeSharedScore(s: SharedScore): string {
  const path = join(s.dir, `${s.name}.yaml`);
  const args = [s.log, '{{sheet.id}}', String(s.sleepMs), ...(s.modeFile ? [s.modeFile] : [])];
  const lines = [
    'version: 1',
    `name: ${s.name}`,
    `concurrency: ${s.concurrency ?? 4}`,
    'defaults:',
    '  instrument: api',
    `  retries: ${s.retries ?? 0}`,
    `  backoff: { initial: ${s.backoff ?? '100ms'}, factor: 1, jitter: 0 }`,
    'instruments:',
    '  api:',
    '    kind: command',
    `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(ATTEMPT)}]`,
    `    shared_as: ${s.sharedAs ?? 'the-api'}`,
    ...(s.sharedConcurrency !== undefined ? [`    shared_concurrency: ${s.sharedConcurrency}`] : []),
    ...(s.breaker ? [`    circuit_breaker: { failures: ${s.breaker.failures}, cooldown: ${s.breaker.cooldown} }`] : []),
    '    rate_limit:',
    '      patterns: ["rate limit"]',
    '      retry_after: "retry after (\\\\d+)"',
    '      min_wait: 100ms',
    'sheets:',
    ...Array.from({ length: s.sheets }, (_, i) => `  - { id: ${s.name}-${i + 1}, args: ${JSON.stringify(args)} }`),
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export interface LogLine {
  at: number;
  what: 'start' | 'end' | 'failed' | 'limited';
  tag: string;
  pid: number;
}

export function readLog(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [at, what, tag, pid] = line.split(' ');
      return { at: Number(at), what: what as LogLine['what'], tag: tag!, pid: Number(pid) };
    });
}

/** The most attempts running at once, from their start and end lines (an end before a start at the same ms). */
export function maxOverlap(lines: readonly LogLine[]): number {
  const edges = lines
    .map((line) => ({ at: line.at, by: line.what === 'start' ? 1 : -1 }))
    .sort((a, b) => a.at - b.at || a.by - b.by);
  let running = 0;
  let most = 0;
  for (const edge of edges) {
    running += edge.by;
    most = Math.max(most, running);
  }
  return most;
}
