import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Conductor, VirtualClock, type AttemptRequest } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { dagDraftArb } from '../support/random-dag.js';
import { prng } from '../support/random.js';
import { fail, ok, runToEnd, SimInstrument } from '../support/virtual-run.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

/** A stable number in [0, 1) for a string: the same sheet and attempt always behave alike. */
function unit(text: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x9e3779b1);
  return ((h ^ (h >>> 15)) >>> 0) / 2 ** 32;
}

describe('the ready window', () => {
  test.prop([dagDraftArb({ maxStages: 6 }), fc.integer(), fc.double({ min: 0, max: 0.5, noNaN: true }), fc.integer({ min: 1, max: 3 })], {
    numRuns: RUNS,
  })('bounds the ready sheets without changing how any sheet ends or breaking dependencies and caps', async (draft, seed, failureRate, window) => {
    const score = buildScore({
      ...draft,
      // Wide fan-outs, so that stages outgrow the window.
      stages: draft.stages.map((s) => (s.fanOut !== undefined ? { ...s, fanOut: s.fanOut * 4 } : s)),
    });
    const run = async (readyWindow: number | undefined) => {
      const clock = new VirtualClock();
      const done = new Set<string>();
      const violations: string[] = [];
      let conductor: Conductor;
      let jobId = '';
      const observer = {
        onStart(request: AttemptRequest) {
          // The first attempts start inside `register`, before its id is known. The window
          // bounds the sheets it admitted, which have never been dispatched; a sheet back
          // from a retry rejoins its queue whatever the queue's size.
          const sheets = jobId === '' ? [] : conductor.status(jobId).sheets;
          const fresh = sheets.filter((s) => s.state === 'ready' && s.startedAt === undefined).length;
          // Two instruments, and instrument a has up to three models: at most four queues.
          if (readyWindow !== undefined && fresh > readyWindow * 4) violations.push(`${fresh} never-dispatched ready > ${readyWindow} × 4 queues`);
          const stage = score.stages.find((s) => request.sheetId === s.id || request.sheetId.startsWith(`${s.id}.`))!;
          for (const dep of stage.dependsOn) {
            const target = score.stages[dep.stage]!;
            const ids = dep.member !== undefined ? [`${target.id}.${dep.member}`] : target.fanOut === undefined ? [target.id] : Array.from({ length: target.fanOut }, (_, i) => `${target.id}.${i + 1}`);
            for (const id of ids) if (!done.has(id)) violations.push(`${request.sheetId} started before ${id} completed`);
          }
        },
        onEnd(request: AttemptRequest, outcome: { status: string }) {
          if (outcome.status === 'success') done.add(request.sheetId);
        },
      };
      const behave = (request: AttemptRequest) => ({
        durationMs: 1 + Math.floor(unit(`${request.sheetId}#${request.attempt}d`, seed) * 500),
        outcome: unit(`${request.sheetId}#${request.attempt}`, seed) < failureRate ? fail() : ok,
      });
      const a = new SimInstrument('a', clock, behave, observer);
      const b = new SimInstrument('b', clock, behave, observer);
      conductor = new Conductor({ clock, random: prng(seed), ...(readyWindow !== undefined ? { readyWindow } : {}) });
      jobId = conductor.register(score, { instruments: { a, b } });
      const result = await runToEnd(conductor, clock, jobId);
      await conductor.shutdown();
      expect(a.maxInFlight).toBeLessThanOrEqual(draft.instruments!.a!.concurrency!);
      return { violations, outcome: result.outcome, states: result.sheets.map((s) => `${s.id}:${s.state}:${s.attempts}`) };
    };

    const windowed = await run(window);
    const unbounded = await run(undefined);
    expect(windowed.violations).toEqual([]);
    expect(windowed.outcome).toBe(unbounded.outcome);
    expect(windowed.states).toEqual(unbounded.states);
  });
});

describe('the ready window, by example', () => {
  test('a fan-out of 50 behind a window of 4 keeps at most 4 ready and completes every sheet', async () => {
    const clock = new VirtualClock();
    const score = buildScore({ concurrency: 2, instruments: { a: {} }, stages: [{ id: 'w', fanOut: 50, instrument: 'a' }] });
    let conductor: Conductor;
    let jobId = '';
    let maxReady = 0;
    const a = new SimInstrument('a', clock, () => ({ durationMs: 10, outcome: ok }), {
      onStart() {
        if (jobId !== '') maxReady = Math.max(maxReady, conductor.status(jobId).counts.ready);
      },
    });
    conductor = new Conductor({ clock, readyWindow: 4 });
    jobId = conductor.register(score, { instruments: { a } });
    const before = conductor.status(jobId).counts;
    expect(before.ready).toBeLessThanOrEqual(4);
    expect(before.pending).toBe(50 - before.ready - before.dispatched - before.running);
    expect(before.pending).toBeGreaterThanOrEqual(44);
    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(result.counts.completed).toBe(50);
    expect(maxReady).toBeLessThanOrEqual(4);
    // In order: the window admits members as they were released.
    expect(a.starts.map((s) => s.sheetId)).toEqual(Array.from({ length: 50 }, (_, i) => `w.${i + 1}`));
    await conductor.shutdown();
  });

  test('rejects a window that is not a positive integer', () => {
    expect(() => new Conductor({ readyWindow: 0 })).toThrow(/readyWindow must be a positive integer/);
    expect(() => new Conductor({ readyWindow: 1.5 })).toThrow(/readyWindow/);
  });
});

describe('the ready window and free slots', () => {
  test('a window smaller than the free slots still fills every slot at once', async () => {
    const clock = new VirtualClock();
    const score = buildScore({ concurrency: 50, instruments: { a: {} }, stages: [{ id: 'w', fanOut: 120, instrument: 'a' }] });
    const a = new SimInstrument('a', clock, () => ({ durationMs: 1_000, outcome: ok }));
    const conductor = new Conductor({ clock, readyWindow: 4 });
    const jobId = conductor.register(score, { instruments: { a } });
    await Promise.resolve();
    // Every slot is taken before any attempt ends (at 1 s of virtual time).
    expect(a.starts.filter((s) => s.at === 0)).toHaveLength(50);
    expect(conductor.status(jobId).counts.ready).toBeLessThanOrEqual(4);
    const result = await runToEnd(conductor, clock, jobId);
    expect(result.counts.completed).toBe(120);
    // 120 sheets of 1 s through 50 slots: three waves.
    expect(clock.now()).toBe(3_000);
    await conductor.shutdown();
  });
});
