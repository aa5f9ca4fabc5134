import { describe, expect, it } from 'vitest';
import { modelKey, planDispatch, type DispatchView, type JobView, type ReadyQueueView } from '../../src/runtime/plan-dispatch.js';

const queue = (instrument: string, sheets: number[], model?: string): ReadyQueueView => ({
  instrument,
  model,
  sheets: new Set(sheets),
});

const job = (over: Partial<JobView> & { queues: ReadyQueueView[] }): JobView => ({
  jobId: 'j1',
  state: 'running',
  inFlight: 0,
  concurrency: 100,
  instrumentCaps: new Map(),
  modelCaps: new Map(),
  ...over,
});

const view = (jobs: JobView[], over: Partial<DispatchView> = {}): DispatchView => ({
  shuttingDown: false,
  inFlight: 0,
  instrumentInFlight: new Map(),
  modelInFlight: new Map(),
  jobs,
  ...over,
});

const ids = (plan: ReturnType<typeof planDispatch>) => plan.dispatch.map((r) => `${r.jobId}:${r.sheet}`);

describe('planDispatch', () => {
  it('dispatches ready sheets in FIFO order up to the global cap', () => {
    const plan = planDispatch(view([job({ queues: [queue('sh', [4, 2, 9, 7])] })]), { maxConcurrent: 3 });
    expect(ids(plan)).toEqual(['j1:4', 'j1:2', 'j1:9']);
    expect(plan.skipped).toEqual([{ jobId: 'j1', instrument: 'sh', model: undefined, waiting: 1, reason: 'global_cap' }]);
  });

  it('counts sheets already in flight against the global cap', () => {
    const plan = planDispatch(view([job({ queues: [queue('sh', [1, 2])] })], { inFlight: 2 }), { maxConcurrent: 3 });
    expect(ids(plan)).toEqual(['j1:1']);
  });

  it('dispatches nothing while shutting down, or for paused and cancelled jobs', () => {
    const q = [queue('sh', [1])];
    expect(planDispatch(view([job({ queues: q })], { shuttingDown: true }), { maxConcurrent: 9 }).skipped[0]!.reason).toBe('shutdown');
    expect(planDispatch(view([job({ state: 'paused', queues: q })]), { maxConcurrent: 9 }).skipped[0]!.reason).toBe('paused');
    expect(planDispatch(view([job({ state: 'cancelled', queues: q })]), { maxConcurrent: 9 }).dispatch).toEqual([]);
  });

  it("respects the job's own concurrency", () => {
    const plan = planDispatch(view([job({ concurrency: 2, inFlight: 1, queues: [queue('sh', [1, 2, 3])] })]), { maxConcurrent: 9 });
    expect(ids(plan)).toEqual(['j1:1']);
    expect(plan.skipped[0]!.reason).toBe('job_cap');
  });

  it('respects per-instrument caps across jobs', () => {
    const caps = new Map([['sh', 2]]);
    const plan = planDispatch(
      view(
        [
          job({ jobId: 'j1', instrumentCaps: caps, queues: [queue('sh', [1, 2])] }),
          job({ jobId: 'j2', instrumentCaps: caps, queues: [queue('sh', [1, 2]), queue('js', [5])] }),
        ],
        { instrumentInFlight: new Map([['sh', 1]]), inFlight: 1 },
      ),
      { maxConcurrent: 9 },
    );
    expect(ids(plan)).toEqual(['j1:1', 'j2:5']);
    expect(plan.skipped.map((s) => `${s.jobId}:${s.reason}`)).toEqual(['j1:instrument_cap', 'j2:instrument_cap']);
  });

  it('respects per-(instrument, model) caps and leaves other models free', () => {
    const modelCaps = new Map([[modelKey('ai', 'big'), 1]]);
    const plan = planDispatch(
      view([job({ modelCaps, queues: [queue('ai', [1, 2], 'big'), queue('ai', [3, 4], 'small')] })]),
      { maxConcurrent: 9 },
    );
    expect(ids(plan)).toEqual(['j1:1', 'j1:3', 'j1:4']);
    expect(plan.skipped[0]).toMatchObject({ model: 'big', reason: 'model_cap', waiting: 1 });
  });

  it('looks at no more sheets than it dispatches (cost follows what is eligible)', () => {
    let touched = 0;
    const huge: ReadyQueueView = {
      instrument: 'sh',
      model: undefined,
      sheets: {
        size: 100_000,
        *[Symbol.iterator]() {
          for (let i = 0; i < 100_000; i++) {
            touched++;
            yield i;
          }
        },
      },
    };
    const plan = planDispatch(view([job({ queues: [huge] })], { inFlight: 7 }), { maxConcurrent: 10 });
    expect(plan.dispatch).toHaveLength(3);
    expect(touched).toBe(3);
    touched = 0;
    planDispatch(view([job({ queues: [huge] })], { inFlight: 10 }), { maxConcurrent: 10 });
    expect(touched).toBe(0);
  });

  it('does not mutate its view', () => {
    const q = queue('sh', [1, 2]);
    const inst = new Map([['sh', 0]]);
    const v = view([job({ queues: [q] })], { instrumentInFlight: inst });
    planDispatch(v, { maxConcurrent: 9 });
    expect([...q.sheets]).toEqual([1, 2]);
    expect([...inst]).toEqual([['sh', 0]]);
  });
});
