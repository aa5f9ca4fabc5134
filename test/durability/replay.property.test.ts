import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import {
  Conductor,
  MemoryStore,
  TERMINAL_STATES,
  VirtualClock,
  type AttemptOutcome,
  type AttemptRequest,
  type JobResult,
  type SheetRow,
  type SheetState,
  type SheetStatus,
} from '../../src/index.js';
import { buildScore, type ScoreDraft, type StageDraft } from '../support/build-score.js';
import { dagDraftArb } from '../support/random-dag.js';
import { prng } from '../support/random.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { fail, ok, runToEnd, settle, SimInstrument } from '../support/virtual-run.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);
const workspace = makeTempDir('baton-replay-');
afterAll(() => removeDir(workspace));

const draftArb = dagDraftArb({
  maxStages: 6,
  escalate: true,
  fallback: true,
  backoff: { initialMs: 200, factor: 2, maxMs: 2000, jitter: 0.3 },
  workspace,
});

/** The stage each sheet id belongs to. */
function stagesById(draft: ScoreDraft): Map<string, StageDraft> {
  const map = new Map<string, StageDraft>();
  for (const s of draft.stages) {
    if (s.fanOut === undefined) map.set(s.id, s);
    else for (let i = 1; i <= s.fanOut; i++) map.set(`${s.id}.${i}`, s);
  }
  return map;
}

/** The instrument at a place in a sheet's fallback chain, as `status()` names it. */
function instrumentAt(draft: ScoreDraft, stage: StageDraft, index: number): string {
  const primary = stage.instrument!;
  if (index === 0) return primary;
  return draft.instruments![primary]!.fallback?.[index - 1] ?? primary;
}

/** Every field of a sheet's status that its checkpoint row also holds. */
function fromRow(draft: ScoreDraft, stage: StageDraft, row: SheetRow): Partial<SheetStatus> {
  return {
    id: row.id,
    state: row.state,
    attempts: row.dispatches - row.rateLimited - row.interrupted,
    rateLimited: row.rateLimited,
    interrupted: row.interrupted,
    instrument: instrumentAt(draft, stage, row.instrumentIndex),
    lastError: row.lastError ?? undefined,
    reason: row.reason ?? undefined,
    costUsd: row.costUsd,
    startedAt: row.firstDispatchAt ?? undefined,
    endedAt: row.endedAt ?? undefined,
  };
}

function fromStatus(sheet: SheetStatus): Partial<SheetStatus> {
  const { id, state, attempts, rateLimited, interrupted, instrument, lastError, reason, costUsd, startedAt, endedAt } = sheet;
  return { id, state, attempts, rateLimited, interrupted, instrument, lastError, reason, costUsd, startedAt, endedAt };
}

/**
 * What restore makes of a row: musicians that died put their sheets back to ready, and
 * every active sheet starts again on its primary instrument; terminal sheets keep theirs.
 */
function restoredFrom(draft: ScoreDraft, stage: StageDraft, row: SheetRow): Partial<SheetStatus> {
  const expected = fromRow(draft, stage, row);
  if (TERMINAL_STATES.has(row.state) || row.state === 'pending') return expected;
  if (row.state !== 'dispatched' && row.state !== 'running') return { ...expected, instrument: stage.instrument! };
  // Its run died with the conductor: interrupted, not one of its attempts.
  const cut = { attempts: expected.attempts! - 1, interrupted: row.interrupted + 1 };
  return { ...expected, ...cut, state: 'ready' as SheetState, instrument: stage.instrument! };
}

const rateLimited = (s: number): AttemptOutcome => ({ status: 'failure', error: 'slow down', rateLimitedS: s });

/** Runs to an end, deciding every fermata with `skip`. */
async function runThrough(conductor: Conductor, clock: VirtualClock, jobId: string): Promise<JobResult> {
  let result = await runToEnd(conductor, clock, jobId);
  while (result.outcome === 'held') {
    for (const sheet of result.sheets) if (sheet.state === 'fermata') conductor.decide(jobId, sheet.id, 'skip');
    result = await runToEnd(conductor, clock, jobId);
  }
  return result;
}

describe('the checkpoint replays the live job', () => {
  test.prop(
    [
      draftArb,
      fc.integer(), // seed
      fc.double({ min: 0, max: 0.6, noNaN: true }), // failure rate
      fc.double({ min: 0, max: 0.2, noNaN: true }), // rate-limit rate
      fc.integer({ min: 0, max: 40 }), // clock steps before the crash
      fc.integer({ min: 0, max: 5000 }), // ms between the crash and the restore
    ],
    { numRuns: RUNS },
  )(
    'after every turn the store holds what the conductor holds; a restore from it brings every sheet back as documented, and the job ends without re-running a completed sheet',
    async (draft, seed, failureRate, limitRate, steps, downtime) => {
      const random = prng(seed);
      const score = buildScore(draft);
      const stageOf = stagesById(draft);
      const behave = () => {
        const roll = random();
        const outcome = roll < limitRate ? rateLimited(1 + Math.floor(random() * 5)) : random() < failureRate ? fail() : ok;
        return { durationMs: 1 + Math.floor(random() * 1000), outcome };
      };

      // The first life of the job, compared with its checkpoint after every turn.
      const clock = new VirtualClock();
      const store = new MemoryStore();
      const first = new Conductor({ clock, random });
      const jobId = first.register(score, {
        instruments: { a: new SimInstrument('a', clock, behave), b: new SimInstrument('b', clock, behave) },
        store,
      });
      const agree = (): void => {
        const rows = new Map(store.loadSheets().map((row) => [row.id, row]));
        const live = first.status(jobId).sheets;
        expect(rows.size).toBe(live.length);
        for (const sheet of live) {
          const row = rows.get(sheet.id);
          expect(row, `no checkpoint row for ${sheet.id}`).toBeDefined();
          expect(fromRow(draft, stageOf.get(sheet.id)!, row!)).toEqual(fromStatus(sheet));
        }
      };
      for (let step = 0; step < steps; step++) {
        await settle();
        agree();
        if (!clock.runNext()) break;
      }
      await settle();
      agree();
      // The crash: the first conductor and its clock are abandoned as they are.
      const checkpoint = store.loadSheets();
      const at = clock.now() + downtime;

      // What restore brings back, seen before anything is dispatched.
      const probe = new Conductor({ clock: new VirtualClock(at), maxConcurrent: 0 });
      const probeId = probe.restore(score, { instruments: { a: () => ({ ok: true }), b: () => ({ ok: true }) }, store: store.connect() });
      expect(probeId).toBe(jobId);
      const restored = new Map(
        probe.status(jobId).sheets.map((sheet) => [sheet.id, fromStatus(sheet)]),
      );
      await probe.shutdown();
      for (const row of checkpoint) {
        expect(restored.get(row.id)).toEqual(restoredFrom(draft, stageOf.get(row.id)!, row));
      }
      const rewritten = new Map(store.loadSheets().map((row) => [row.id, row]));
      for (const row of checkpoint) {
        // Normal attempts used survive (no infinite retries after a crash); deadlines are kept.
        expect(rewritten.get(row.id)!.attempts).toBe(row.attempts);
        expect(rewritten.get(row.id)!.context?.retryAt ?? null).toBe(row.context?.retryAt ?? null);
        expect(rewritten.get(row.id)!.context?.waitUntil ?? null).toBe(row.context?.waitUntil ?? null);
      }

      // The second life, from the same checkpoint.
      const later = new VirtualClock(at);
      const second = new Conductor({ clock: later, random });
      const started: string[] = [];
      const observer = { onStart: (request: AttemptRequest) => void started.push(request.sheetId) };
      second.restore(score, {
        instruments: { a: new SimInstrument('a', later, behave, observer), b: new SimInstrument('b', later, behave, observer) },
        store: store.connect(),
      });
      const result = await runThrough(second, later, jobId);

      const before = new Map(checkpoint.map((row) => [row.id, row]));
      for (const sheet of result.sheets) {
        expect(TERMINAL_STATES.has(sheet.state), `${sheet.id} ended ${sheet.state}`).toBe(true);
        const row = before.get(sheet.id)!;
        if (TERMINAL_STATES.has(row.state)) {
          expect(sheet.state).toBe(row.state);
          expect(sheet.attempts).toBe(row.dispatches - row.rateLimited - row.interrupted);
          expect(sheet.rateLimited).toBe(row.rateLimited);
        }
      }
      const completedBefore = checkpoint.filter((row) => row.state === 'completed').map((row) => row.id);
      expect(started.filter((id) => completedBefore.includes(id))).toEqual([]);
      await second.shutdown();
    },
  );
});
