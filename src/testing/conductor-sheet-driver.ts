import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { SheetContext } from '../machines/sheet.js';
import type { FermataDecision, SheetState } from '../machines/types.js';
import { VirtualClock } from '../runtime/clock.js';
import { Conductor } from '../runtime/conductor.js';
import { HeldInstrument, type AttemptEnding, type HeldAttempt, type PlayAttempt } from './held-instrument.js';
import {
  instrumentChain,
  modelScore,
  SHEET_UNDER_TEST,
  trippingScore,
  UPSTREAM_INSTRUMENT,
  UPSTREAM_SHEET,
  VALIDATION_FILES,
  type InstrumentTraits,
} from './model-score.js';
import type { ModelFailure, SheetModelDriver } from './sheet-model-driver.js';
import { OVER_BUDGET_COST_USD, resolveSettings, type SheetModelSettings } from './sheet-model-settings.js';
import type { SheetObservation } from './sheet-observation.js';

export interface ConductorSheetDriverOptions {
  /** The settings of the model the driver runs paths of (`sheetModel.settings`). */
  settings: SheetModelSettings;
  /**
   * How an attempt of the sheet under test ends the way the model says: where your own
   * instrument comes in. Default: the outcome is built directly.
   */
  play?: PlayAttempt;
  /** The rate-limit patterns and cost pattern your instrument's score entry declares. */
  instrument?: InstrumentTraits;
  /**
   * The job's workspace.
   * @default a new temporary folder, removed by `close()`
   */
  workspace?: string;
  /**
   * How long (real time) to wait for the runtime to act on an attempt's end, for `play`
   * functions that do real work.
   * @default 10000
   */
  settleTimeoutMs?: number;
}

/** A driver running the real `Conductor` in virtual time; close it after every path. */
export interface ConductorSheetDriver extends SheetModelDriver {
  readonly conductor: Conductor;
  readonly clock: VirtualClock;
  readonly jobId: string;
  /** Moves virtual time forward, firing every timer due, and lets the runtime settle. */
  advance(ms: number): Promise<void>;
  /** Shuts the conductor down and removes the temporary workspace. */
  close(): Promise<void>;
}

const PAUSE_REASON = 'sheet-model';

interface SheetSnapshotLike {
  value: SheetState;
  context: SheetContext;
}

/**
 * Runs a two-sheet job (an upstream sheet, then the sheet under test with the model's
 * settings) on a real conductor with a `VirtualClock`. The job stays paused, so a ready
 * sheet waits for the model's `DISPATCH`; attempts are held by the instruments until the
 * model ends them. Conditions the runtime produces itself come from its real mechanisms: a
 * circuit opens because another job's attempt fails on the instrument, a rate limit is
 * cleared through `conductor.rateLimits`, a retry falls due when the clock reaches it.
 */
export function createConductorSheetDriver(options: ConductorSheetDriverOptions): ConductorSheetDriver {
  const settings = resolveSettings(options.settings);
  const workspace = options.workspace ?? mkdtempSync(join(tmpdir(), 'baton-sheet-model-'));
  const settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
  const clock = new VirtualClock();
  const snapshots = new Map<string, SheetSnapshotLike>();
  const conductor = new Conductor({
    clock,
    random: () => settings.random,
    inspect: (event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot') return;
      // Inspection types the ref loosely; the runtime names each sheet actor `<jobId>/<sheetId>`.
      const id = (event.actorRef as Partial<AnyActorRef>).id;
      if (id !== undefined) snapshots.set(id, event.snapshot as unknown as SheetSnapshotLike);
    },
  });
  const chain = instrumentChain(settings);
  const upstream = new HeldInstrument(UPSTREAM_INSTRUMENT);
  const players = chain.map((name) => new HeldInstrument(name, options.play));
  const instruments = Object.fromEntries([upstream, ...players].map((instrument) => [instrument.name, instrument]));
  const jobId = conductor.register(modelScore(settings, workspace, options.instrument ?? {}), { instruments });
  conductor.pause(jobId, PAUSE_REASON);

  const status = () => {
    const sheet = conductor.status(jobId).sheets.find((s) => s.id === SHEET_UNDER_TEST);
    if (sheet === undefined) throw new Error(`sheet model: the job has no sheet "${SHEET_UNDER_TEST}"`);
    return sheet;
  };
  const actorSnapshot = () => snapshots.get(`${jobId}/${SHEET_UNDER_TEST}`);

  const settle = async (until?: () => boolean): Promise<void> => {
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    if (until === undefined) return;
    const deadline = performance.now() + settleTimeoutMs;
    for (let turn = 0; !until(); turn++) {
      if (performance.now() > deadline) throw new Error(`sheet model: the runtime did not act within ${settleTimeoutMs} ms (sheet is ${status().state})`);
      await (turn < 100 ? nextTurn() : sleep(2));
    }
    await nextTurn();
  };
  const held = (instrument: HeldInstrument, sheetId: string): HeldAttempt => {
    const attempt = instrument.attemptOf(sheetId);
    if (attempt === undefined) throw new Error(`sheet model: no attempt of "${sheetId}" is in flight on "${instrument.name}"`);
    return attempt;
  };
  const current = (): HeldInstrument => {
    const name = status().instrument;
    return players.find((player) => player.name === name)!;
  };
  const leaves = (...states: SheetState[]) => () => !states.includes(status().state);
  const end = async (ending: AttemptEnding): Promise<void> => {
    const attempt = held(current(), SHEET_UNDER_TEST);
    void attempt.end(ending);
    await settle(leaves('dispatched', 'running'));
  };

  return {
    conductor,
    clock,
    jobId,
    async dependenciesMet() {
      void held(upstream, UPSTREAM_SHEET).end({ kind: 'success' });
      await settle(leaves('pending'));
    },
    async dependencyFailed() {
      void held(upstream, UPSTREAM_SHEET).end({ kind: 'failure' });
      await settle(leaves('pending'));
    },
    async dispatch() {
      // Planning happens inside `resume`: the sheet is dispatched before the job pauses again.
      conductor.resume(jobId, PAUSE_REASON);
      conductor.pause(jobId, PAUSE_REASON);
      await settle();
    },
    async start() {
      held(current(), SHEET_UNDER_TEST).hooks.onStarted();
      await settle();
    },
    async succeed(passRate) {
      const passing = Math.round(passRate * VALIDATION_FILES.length);
      VALIDATION_FILES.forEach((file, i) => {
        const path = join(workspace, file);
        if (i < passing) writeFileSync(path, 'ok\n');
        else rmSync(path, { force: true });
      });
      await end({ kind: 'success' });
    },
    async fail(reason: ModelFailure) {
      if (reason !== 'timeout') return end({ kind: reason === 'unavailable' ? 'unavailable' : 'failure' });
      if (settings.timeoutMs <= 0) throw new Error('sheet model: a timeout needs the timeoutMs setting');
      held(current(), SHEET_UNDER_TEST);
      clock.advanceBy(settings.timeoutMs);
      await settle(leaves('dispatched', 'running'));
    },
    rateLimit: (waitMs) => end({ kind: 'rateLimit', waitMs }),
    overBudget: () => end({ kind: 'costly', costUsd: OVER_BUDGET_COST_USD }),
    async circuitOpen() {
      const from = status().instrument;
      conductor.register(trippingScore(from, workspace), {
        instruments: { [from]: () => ({ ok: false, error: 'an attempt that trips the circuit' }) },
      });
      await settle(() => status().instrument !== from || conductor.breakerState(from) === 'open');
    },
    async retryDue() {
      const retryAt = actorSnapshot()?.context.retryAt;
      if (retryAt === null || retryAt === undefined) throw new Error('sheet model: no retry is scheduled');
      clock.advanceTo(retryAt);
      await settle(leaves('retry'));
    },
    async limitCleared() {
      conductor.rateLimits.clear(status().instrument);
      await settle();
    },
    async decide(decision: FermataDecision) {
      conductor.decide(jobId, SHEET_UNDER_TEST, decision);
      await settle();
    },
    async cancel() {
      conductor.cancel(jobId);
      await settle();
    },
    state(): SheetObservation {
      const sheet = status();
      const snapshot = actorSnapshot();
      return {
        state: sheet.state,
        dispatches: sheet.attempts + sheet.rateLimited,
        rateLimited: sheet.rateLimited,
        instrumentIndex: chain.indexOf(sheet.instrument),
        reason: sheet.reason ?? null,
        ...(snapshot !== undefined ? { actor: { state: snapshot.value, context: snapshot.context, now: clock.now() } } : {}),
      };
    },
    async advance(ms) {
      clock.advanceBy(ms);
      await settle();
    },
    async close() {
      await conductor.shutdown();
      if (options.workspace === undefined) rmSync(workspace, { recursive: true, force: true });
    },
  };
}
