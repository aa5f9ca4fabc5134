import { describe, expect, it } from 'vitest';
import { planDispatch, type DispatchView, type JobView, type ReadyQueueView } from '../../src/index.js';
import { dispatchView, jobView, plannedIds as ids, queue } from '../support/dispatch-views.js';

const job = (jobId: string, queues: ReadyQueueView[], over: Partial<JobView> = {}): JobView => jobView({ jobId, queues, ...over });

/** `buffers`: the free slots of each job's buffers, by job id and instrument. */
const view = (jobs: JobView[], buffers: Record<string, Record<string, number>>): DispatchView =>
  dispatchView(jobs, {
    buffers: new Map(Object.entries(buffers).map(([id, rooms]) => [id, new Map(Object.entries(rooms).map(([name, free]) => [name, { free }]))])),
  });

describe('planning with dispatch buffers', () => {
  it('dispatches only into free buffer slots and holds the rest back as at_capacity', () => {
    const plan = planDispatch(view([job('j1', [queue('api', [1, 2, 3, 4])])], { j1: { api: 2 } }), { maxConcurrent: 10 });
    expect(ids(plan)).toEqual(['j1:1', 'j1:2']);
    expect(plan.skipped).toEqual([{ jobId: 'j1', instrument: 'api', model: undefined, waiting: 2, reason: 'at_capacity' }]);
  });

  it('shares one buffer between the models of an instrument', () => {
    const plan = planDispatch(view([job('j1', [queue('api', [1, 2], 'a'), queue('api', [3, 4], 'b')])], { j1: { api: 3 } }), {
      maxConcurrent: 10,
    });
    expect(ids(plan)).toEqual(['j1:1', 'j1:2', 'j1:3']);
    expect(plan.skipped.map((s) => [s.model, s.waiting, s.reason])).toEqual([['b', 1, 'at_capacity']]);
  });

  it('gives the global slots a full buffer cannot use to other instruments', () => {
    const plan = planDispatch(view([job('j1', [queue('api', [1, 2, 3]), queue('sh', [7, 8, 9])])], { j1: { api: 0 } }), {
      maxConcurrent: 3,
    });
    expect(ids(plan)).toEqual(['j1:7', 'j1:8', 'j1:9']);
    expect(plan.skipped[0]).toMatchObject({ instrument: 'api', waiting: 3, reason: 'at_capacity' });
  });

  it("reads each job's own buffers: a full one in one job does not hold back another", () => {
    const plan = planDispatch(view([job('j1', [queue('api', [1])]), job('j2', [queue('api', [5])])], { j1: { api: 0 }, j2: { api: 1 } }), {
      maxConcurrent: 10,
    });
    expect(ids(plan)).toEqual(['j2:5']);
  });

  it('names a cap that is reached before the buffer, not the buffer', () => {
    const jobs = [job('j1', [queue('api', [1, 2, 3])], { instrumentCaps: new Map([['api', 1]]) })];
    const plan = planDispatch(view(jobs, { j1: { api: 1 } }), { maxConcurrent: 10 });
    expect(ids(plan)).toEqual(['j1:1']);
    expect(plan.skipped[0]!.reason).toBe('instrument_cap');
  });
});
