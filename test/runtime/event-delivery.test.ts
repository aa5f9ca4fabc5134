import { describe, expect, it } from 'vitest';
import { Conductor, type BatonEvent, type Instrument } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';

/** Succeeds at once, in real time: the job ends within a few ticks of its start. */
const quick: Instrument = {
  name: 'fn',
  kind: 'function',
  run: (_request, _signal, hooks) => {
    hooks.onStarted();
    return Promise.resolve({ status: 'success' });
  },
};

describe('events and the promises of the conductor', () => {
  it('waitForCompletion resolves only after subscribers have had the last attempt.ended, sheet.completed and job.completed', async () => {
    const conductor = new Conductor();
    const seen: BatonEvent[] = [];
    conductor.events$.subscribe((event) => seen.push(event));
    const id = conductor.register(buildScore({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }] }), { instruments: { fn: quick } });

    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(seen.slice(-3).map((e) => [e.type, 'sheetId' in e ? e.sheetId : undefined])).toEqual([
      ['attempt.ended', 'b'],
      ['sheet.completed', 'b'],
      ['job.completed', undefined],
    ]);
    await conductor.shutdown();
  });

  it('a waitForCompletion asked after the end also resolves after the events', async () => {
    const conductor = new Conductor();
    const id = conductor.register(buildScore({ stages: [{ id: 'a' }] }), { instruments: { fn: quick } });
    await conductor.waitForCompletion(id);
    // A subscriber that joins now gets only later events: it holds nothing back.
    const late: BatonEvent[] = [];
    conductor.events$.subscribe((event) => late.push(event));
    expect((await conductor.waitForCompletion(id)).outcome).toBe('completed');
    expect(late).toEqual([]);
    await conductor.shutdown();
  });

  it('shutdown resolves only after every subscriber has had every event and its complete', async () => {
    const conductor = new Conductor();
    const seen: string[] = [];
    conductor.events$.subscribe({ next: (event) => seen.push(event.type), complete: () => seen.push('complete') });
    const id = conductor.register(buildScore({ stages: [{ id: 'a' }] }), { instruments: { fn: quick } });
    await conductor.shutdown();
    expect(seen.at(-1)).toBe('complete');
    expect(seen).toContain('job.started');
    expect(conductor.jobIds()).toEqual([id]);
  });
});
