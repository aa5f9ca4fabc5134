import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { attachMetrics, Conductor, PrometheusRecorder, type SheetFunction } from '../../src/index.js';
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
    // Limited once: its next run succeeds.
    const limiting: SheetFunction = async () => {
      if (limitedAt !== 0) return { ok: true };
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
    expect(result.sheets.every((sheet) => sheet.attempts === 1 && sheet.rateLimited === 0)).toBe(true);
    expect((await pair.a.waitForCompletion(first)).outcome).toBe('completed');
  });

  it('add up failures from both into one breaker, which opens once and lets one probe through', async () => {
    const pair = twoConductors();
    stop = pair.stop;
    let failing = true;
    const calls: { start: number; end: number; failed: boolean }[] = [];
    const work: SheetFunction = async () => {
      const call = { start: Date.now(), end: 0, failed: failing };
      calls.push(call);
      await sleep(20);
      call.end = Date.now();
      return call.failed ? { ok: false, error: 'down' } : { ok: true };
    };
    const opened = new Promise<number>((resolve) => {
      pair.a.events$.subscribe((event) => {
        if (event.type === 'circuit.open') resolve(calls.length);
      });
    });
    const breaker = { failures: 4, cooldownMs: 600 };
    const jobs = [pair.a, pair.b].map((conductor, i) => {
      const jobId = conductor.register(score(`job${i}`, 1, { circuitBreaker: breaker, concurrency: 1 }, 20), { instruments: { api: work } });
      return conductor.waitForCompletion(jobId);
    });
    const callsAtOpen = await opened;
    failing = false;
    const results = await Promise.all(jobs);
    expect(results.map((r) => r.outcome)).toEqual(['completed', 'completed']);
    // Alone, each conductor would need 4 failures of its own; together they open at 4, give or take the one in flight.
    const failures = calls.filter((call) => call.failed).length;
    expect(callsAtOpen).toBeLessThanOrEqual(5);
    expect(failures).toBeLessThanOrEqual(5);
    // One opening: the calls after the last failure are the probe, and only once it ended the others.
    const afterOpen = calls.filter((call) => !call.failed);
    expect(afterOpen.length).toBeGreaterThanOrEqual(2);
    const [probe, ...rest] = afterOpen;
    for (const call of rest) expect(call.start).toBeGreaterThanOrEqual(probe!.end);
  });

  it('clear a rate limit everywhere when one of them clears it', async () => {
    const pair = twoConductors();
    stop = pair.stop;
    const first = pair.a.register(score('first', 1, {}), { instruments: { api: async () => ({ ok: true }) } });
    await pair.a.waitForCompletion(first);
    pair.a.rateLimits.report('api', 60_000, { jobId: first, sheetId: 's' });
    const second = pair.b.register(score('second', 2, {}), { instruments: { api: async () => ({ ok: true }) } });
    // B holds to the limit until A clears it.
    await sleep(300);
    expect(pair.b.status(second).counts.ready).toBe(2);
    pair.a.rateLimits.clear('api');
    expect((await pair.b.waitForCompletion(second)).outcome).toBe('completed');
  });

  it('tell, in sharedPolicy() and the metrics, where the state comes from and how full each shared cap is', async () => {
    const pair = twoConductors();
    stop = pair.stop;
    const recorder = new PrometheusRecorder();
    const detach = attachMetrics(pair.a, recorder);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const hold: SheetFunction = async () => {
      started++;
      await held;
      return { ok: true };
    };
    const jobs = [pair.a, pair.b].map((conductor, i) => {
      const jobId = conductor.register(score(`job${i}`, 2, { sharedConcurrency: 3 }), { instruments: { api: hold } });
      return conductor.waitForCompletion(jobId);
    });
    while (started < 3) await sleep(10);
    // B's slots reach A at its next read.
    await sleep(200);
    const shared = pair.a.sharedPolicy();
    expect(shared.target).toMatch(/^sqlite:.*coordination\.db$/);
    expect(shared.online).toBe(true);
    expect(shared.caps).toHaveLength(1);
    const [cap] = shared.caps;
    expect(cap).toMatchObject({ identity: 'the-api', instruments: ['api'], limit: 3, running: 3 });
    const text = await recorder.metrics();
    expect(text).toContain(`baton_coordination_online{target="${shared.target}"} 1`);
    expect(text).toContain('baton_shared_cap_limit{identity="the-api"} 3');
    expect(text).toContain('baton_shared_cap_running{identity="the-api",scope="all"} 3');
    expect(text).toContain(`baton_shared_cap_running{identity="the-api",scope="here"} ${cap!.here}`);
    release();
    await Promise.all(jobs);
    detach();
  });

  it('keep a slot taken while its attempt runs longer than the lease, renewing it', async () => {
    const pair = twoConductors(300);
    stop = pair.stop;
    const spans: { start: number; end: number }[] = [];
    const work =
      (ms: number): SheetFunction =>
      async () => {
        const span = { start: Date.now(), end: 0 };
        spans.push(span);
        await sleep(ms);
        span.end = Date.now();
        return { ok: true };
      };
    const long = pair.a.register(score('long', 1, { sharedConcurrency: 1 }), { instruments: { api: work(1_200) } });
    while (spans.length === 0) await sleep(10);
    // Well past the 300 ms lease, the slot is still A's: B waits for A's attempt to end.
    await sleep(700);
    const short = pair.b.register(score('short', 1, { sharedConcurrency: 1 }), { instruments: { api: work(10) } });
    await Promise.all([pair.a.waitForCompletion(long), pair.b.waitForCompletion(short)]);
    expect(spans).toHaveLength(2);
    expect(spans[1]!.start).toBeGreaterThanOrEqual(spans[0]!.end);
  });
});
