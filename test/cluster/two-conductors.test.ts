import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Conductor, type SheetFunction } from '../../src/index.js';
import { SqliteCoordination } from '../../src/cluster/index.js';
import { buildScore, type InstrumentDraft } from '../support/build-score.js';
import { makeTempDir } from '../support/temp-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Two conductors of one process, each with its own handle on one coordination file. */
function twoConductors(leaseMs = 10_000): { a: Conductor; b: Conductor; stop(): Promise<void> } {
  const file = join(makeTempDir('baton-coord-'), 'coordination.db');
  const backends = [new SqliteCoordination(file), new SqliteCoordination(file)];
  const [a, b] = backends.map((backend) => new Conductor({ coordination: { backend, leaseMs, pollMs: 50 } })) as [Conductor, Conductor];
  return {
    a,
    b,
    async stop() {
      await Promise.all([a.shutdown(), b.shutdown()]);
      await Promise.all(backends.map((backend) => backend.close()));
    },
  };
}

const score = (name: string, sheets: number, api: InstrumentDraft, retries = 0) =>
  buildScore({ name, concurrency: 8, instruments: { api: { sharedAs: 'the-api', ...api } }, stages: [{ id: 's', fanOut: sheets, instrument: 'api', retries, backoff: { initialMs: 20, factor: 1, jitter: 0 } }] });

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('two conductors sharing policy state through one SQLite file', () => {
  it('never run more than shared_concurrency attempts of one identity at once', async () => {
    const pair = twoConductors();
    stop = pair.stop;
    let running = 0;
    let most = 0;
    const work: SheetFunction = async () => {
      most = Math.max(most, ++running);
      await sleep(30);
      running--;
      return { ok: true };
    };
    const jobs = [pair.a, pair.b].map((conductor, i) => {
      const jobId = conductor.register(score(`job${i}`, 12, { sharedConcurrency: 2 }), { instruments: { api: work } });
      return conductor.waitForCompletion(jobId);
    });
    const results = await Promise.all(jobs);
    expect(results.map((r) => r.outcome)).toEqual(['completed', 'completed']);
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBe(2);
  });

  it('holds the other conductor to a rate limit one of them reported, without using its attempts', async () => {
    const pair = twoConductors();
    stop = pair.stop;
    let limitedAt = 0;
    const starts: number[] = [];
    const limiting: SheetFunction = async () => {
      limitedAt = Date.now();
      return { ok: false, rate_limited_s: 1.5 };
    };
    const first = pair.a.register(score('first', 1, { rateLimit: { minWaitMs: 100 } }), { instruments: { api: limiting } });
    // The second starts once the limit is in the backend: it must see it in force.
    while (limitedAt === 0) await sleep(10);
    await sleep(300);
    const counting: SheetFunction = async () => {
      starts.push(Date.now());
      return { ok: true };
    };
    const second = pair.b.register(score('second', 3, { rateLimit: { minWaitMs: 100 } }), { instruments: { api: counting } });
    const result = await pair.b.waitForCompletion(second);
    expect(result.outcome).toBe('completed');
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(limitedAt + 1_500 - 5);
    expect(result.sheets.every((sheet) => sheet.attempts === 1)).toBe(true);
    pair.a.cancel(first);
  });
});
