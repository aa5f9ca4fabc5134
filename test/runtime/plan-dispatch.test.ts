import { describe, expect, it } from 'vitest';
import { modelKey, planDispatch, type GateBlock, type ReadyQueueView } from '../../src/index.js';
import { dispatchView as view, jobView as job, plannedIds as ids, queue } from '../support/dispatch-views.js';

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

  it('dispatches nothing to a rate-limited instrument or model, and the rest goes on', () => {
    const gates = new Map<string, GateBlock>([
      ['ai', { admits: 0, reason: 'rate_limited' }],
      [modelKey('sh', 'slow'), { admits: 0, reason: 'rate_limited' }],
    ]);
    const plan = planDispatch(
      view([job({ queues: [queue('ai', [1, 2]), queue('sh', [3], 'slow'), queue('sh', [4], 'fast'), queue('js', [5])] })], { gates }),
      { maxConcurrent: 9 },
    );
    expect(ids(plan)).toEqual(['j1:4', 'j1:5']);
    expect(plan.skipped.map((s) => `${s.instrument}/${s.model ?? ''}:${s.reason}`)).toEqual(['ai/:rate_limited', 'sh/slow:rate_limited']);
  });

  it('lets exactly one probe through a half-open circuit, across queues and jobs', () => {
    const gates = new Map<string, GateBlock>([['ai', { admits: 1, reason: 'circuit_open' }]]);
    const plan = planDispatch(
      view([job({ jobId: 'j1', queues: [queue('ai', [1, 2], 'm1'), queue('ai', [3])] }), job({ jobId: 'j2', queues: [queue('ai', [9])] })], { gates }),
      { maxConcurrent: 9 },
    );
    expect(ids(plan)).toEqual(['j1:1']);
    expect(plan.skipped.every((s) => s.reason === 'circuit_open')).toBe(true);
  });

  it("reports each gate's own reason for the queues it holds back", () => {
    const gates = new Map<string, GateBlock>([
      ['ai', { admits: 0, reason: 'quota_spent' }],
      ['sh', { admits: 0, reason: 'rate_limited' }],
    ]);
    const plan = planDispatch(view([job({ queues: [queue('ai', [1]), queue('sh', [2]), queue('js', [3])] })], { gates }), { maxConcurrent: 9 });
    expect(ids(plan)).toEqual(['j1:3']);
    expect(plan.skipped.map((s) => `${s.instrument}:${s.reason}`)).toEqual(['ai:quota_spent', 'sh:rate_limited']);
  });

  it('lets through no more than a gate admits, across queues and jobs, and names the gate for the rest', () => {
    const gates = new Map<string, GateBlock>([['ai', { admits: 3, reason: 'shared_cap' }]]);
    const plan = planDispatch(
      view([job({ jobId: 'j1', queues: [queue('ai', [1, 2], 'm1')] }), job({ jobId: 'j2', queues: [queue('ai', [7, 8, 9])] })], { gates }),
      { maxConcurrent: 9 },
    );
    expect(ids(plan)).toEqual(['j1:1', 'j1:2', 'j2:7']);
    expect(plan.skipped).toEqual([{ jobId: 'j2', instrument: 'ai', model: undefined, waiting: 2, reason: 'shared_cap' }]);
  });

  it("holds a model back by its own block even while its instrument's block lets a probe through", () => {
    const gates = new Map<string, GateBlock>([
      ['ai', { admits: 1, reason: 'circuit_open' }],
      [modelKey('ai', 'm1'), { admits: 0, reason: 'rate_limited' }],
    ]);
    const plan = planDispatch(view([job({ queues: [queue('ai', [1], 'm1'), queue('ai', [2, 3], 'm2')] })], { gates }), {
      maxConcurrent: 9,
    });
    expect(ids(plan)).toEqual(['j1:2']);
    expect(plan.skipped.map((s) => `${s.model}:${s.reason}`)).toEqual(['m1:rate_limited', 'm2:circuit_open']);
  });

  it('paces a job: one dispatch per turn, none before the gap has passed', () => {
    const paced = (lastDispatchAt: number | undefined, now: number) =>
      ids(planDispatch(view([job({ pacingMs: 1000, lastDispatchAt, queues: [queue('sh', [1, 2, 3])] })], { now }), { maxConcurrent: 9 }));
    expect(paced(undefined, 0)).toEqual(['j1:1']);
    expect(paced(5000, 5999)).toEqual([]);
    expect(paced(5000, 6000)).toEqual(['j1:1']);
    const held = planDispatch(view([job({ pacingMs: 1000, lastDispatchAt: 5000, queues: [queue('sh', [1])] })], { now: 5500 }), { maxConcurrent: 9 });
    expect(held.skipped[0]!.reason).toBe('pacing');
  });
});
