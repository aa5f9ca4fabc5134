import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import {
  Conductor,
  inspectionStream,
  VirtualClock,
  type AttemptRequest,
  type InspectionRecord,
  type InspectionStreamOptions,
  type JobResult,
} from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { fail, ok, runToEnd, SimInstrument } from '../support/virtual-run.js';

/**
 * A small real job in virtual time: `a` fails once (opening the instrument's circuit) and
 * is retried; `b` and the fan-out `c` wait for it.
 */
async function inspectJob(options: InspectionStreamOptions = {}): Promise<{ records: InspectionRecord[]; result: JobResult }> {
  const clock = new VirtualClock();
  const { inspect, inspection$, close } = inspectionStream(options);
  const records: InspectionRecord[] = [];
  inspection$.subscribe((record) => records.push(record));
  const conductor = new Conductor({ clock, random: () => 0.5, inspect });
  let calls = 0;
  const fn = new SimInstrument('fn', clock, (r: AttemptRequest) => ({
    durationMs: 10,
    outcome: r.sheetId === 'a' && ++calls === 1 ? fail('first try') : ok,
  }));
  const score = buildScore({
    instruments: { fn: { circuitBreaker: { failures: 1, cooldownMs: 500 } } },
    stages: [{ id: 'a', retries: 2 }, { id: 'b', deps: ['a'] }, { id: 'c', fanOut: 2, deps: ['a'] }],
  });
  const jobId = conductor.register(score, { instruments: { fn } });
  const result = await runToEnd(conductor, clock, jobId);
  await conductor.shutdown();
  close();
  return { records, result };
}

const of = (records: InspectionRecord[], sheetId: string, type: InspectionRecord['type']): InspectionRecord[] =>
  records.filter((r) => r.sheetId === sheetId && r.type === type);

describe('inspectionStream on a real job', () => {
  it('records the creation of an actor for every sheet, named by job and sheet', async () => {
    const { records, result } = await inspectJob();
    expect(result.outcome).toBe('completed');
    const created = records.filter((r) => r.type === '@xstate.actor' && r.machine === 'sheet');
    expect(created.map((r) => r.sheetId).sort()).toEqual(['a', 'b', 'c.1', 'c.2']);
    for (const r of created) {
      expect(r).toMatchObject({ jobId: result.jobId, actorId: `${result.jobId}/${r.sheetId}` });
    }
  });

  it('records the conductor and the circuit breaker actors too', async () => {
    const { records } = await inspectJob();
    const actors = records.filter((r) => r.type === '@xstate.actor' && r.machine !== 'sheet');
    expect(actors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actorId: 'conductor', machine: 'conductor' }),
        expect.objectContaining({ actorId: 'breaker:fn', machine: 'breaker', instrument: 'fn' }),
      ]),
    );
    const breakerStates = records.filter((r) => r.actorId === 'breaker:fn' && r.type === '@xstate.snapshot').map((r) => r.state);
    expect(breakerStates).toEqual(expect.arrayContaining(['closed', 'open', 'halfOpen']));
  });

  it('records every event a sheet receives, with its fields', async () => {
    const { records } = await inspectJob();
    const events = of(records, 'a', '@xstate.event').map((r) => r.event!);
    expect(events.map((e) => e.type)).toEqual(['xstate.init', 'DEPS_MET', 'DISPATCH', 'STARTED', 'FAILED', 'RETRY_DUE', 'DISPATCH', 'STARTED', 'SUCCEEDED']);
    expect(events.find((e) => e.type === 'FAILED')).toMatchObject({ error: 'first try', at: 10 });
  });

  it('records a snapshot after each event, with the state value and the context', async () => {
    const { records } = await inspectJob();
    const snapshots = of(records, 'a', '@xstate.snapshot');
    expect(snapshots.map((r) => r.state)).toEqual(['pending', 'ready', 'dispatched', 'running', 'retry', 'ready', 'dispatched', 'running', 'completed']);
    expect(snapshots.map((r) => r.event!.type)).toEqual(['xstate.init', 'DEPS_MET', 'DISPATCH', 'STARTED', 'FAILED', 'RETRY_DUE', 'DISPATCH', 'STARTED', 'SUCCEEDED']);
    const retry = snapshots.find((r) => r.state === 'retry')!;
    expect(retry.status).toBe('active');
    expect(retry.context).toMatchObject({ attempts: 1, lastError: 'first try', reason: 'failed' });
    expect(snapshots.at(-1)).toMatchObject({ status: 'done', context: expect.objectContaining({ attempts: 2 }) });
  });

  it('numbers records 1, 2, 3… and keeps them plain JSON', async () => {
    const { records } = await inspectJob();
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    for (const r of records) expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('leaves out microsteps and actions unless asked for them', async () => {
    const plain = await inspectJob();
    expect(new Set(plain.records.map((r) => r.type))).toEqual(new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']));
    const detailed = await inspectJob({ types: ['@xstate.action', '@xstate.microstep'] });
    // XState reports only actions that run code of their own (not `assign`): the conductor's dispatch.
    const actions = detailed.records.filter((r) => r.type === '@xstate.action');
    expect(actions.length).toBeGreaterThan(0);
    for (const r of actions) expect(r).toMatchObject({ actorId: 'conductor', action: { type: 'dispatch' } });
    const steps = of(detailed.records, 'a', '@xstate.microstep');
    expect(steps.map((r) => r.state)).toContain('retry');
  });

  it('rejects an unknown record type', () => {
    expect(() => inspectionStream({ types: ['@xstate.nope' as never] })).toThrow(/unknown type "@xstate.nope"/);
  });
});

describe('inspectionStream subscribers', () => {
  it('builds nothing while nobody subscribes', () => {
    const { inspect } = inspectionStream();
    const untouchable = new Proxy({} as InspectionEvent, {
      get: (_target, key) => {
        if (key === 'type') return '@xstate.snapshot';
        throw new Error(`read ${String(key)}`);
      },
    });
    expect(() => inspect(untouchable)).not.toThrow();
  });

  it('a subscriber that throws breaks neither the job nor the other subscribers', async () => {
    const clock = new VirtualClock();
    const { inspect, inspection$ } = inspectionStream();
    inspection$.subscribe(() => {
      throw new Error('bad subscriber');
    });
    const seen: InspectionRecord[] = [];
    inspection$.subscribe({ next: (r) => seen.push(r) });
    const conductor = new Conductor({ clock, inspect });
    const fn = new SimInstrument('fn', clock, () => ({ durationMs: 5, outcome: ok }));
    const jobId = conductor.register(buildScore({ stages: [{ id: 'x' }, { id: 'y', deps: ['x'] }] }), { instruments: { fn } });
    const result = await runToEnd(conductor, clock, jobId);
    await conductor.shutdown();
    expect(result.outcome).toBe('completed');
    expect(seen.filter((r) => r.type === '@xstate.snapshot' && r.state === 'completed').map((r) => r.sheetId)).toEqual(['x', 'y']);
  });

  it('completes the stream on close and ignores what comes after', async () => {
    const { inspect, inspection$, close } = inspectionStream();
    let completed = false;
    const seen: InspectionRecord[] = [];
    inspection$.subscribe({ next: (r) => seen.push(r), complete: () => (completed = true) });
    close();
    const conductor = new Conductor({ clock: new VirtualClock(), inspect });
    await conductor.shutdown();
    expect(completed).toBe(true);
    expect(seen).toEqual([]);
  });
});
