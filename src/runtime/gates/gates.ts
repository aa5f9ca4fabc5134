import type { Inspector } from '../../actors/inspector.js';
import { modelKey } from '../../machines/model-key.js';
import type { PolicyState } from '../../store/types.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../event-bus.js';
import type { InstrumentSpec } from '../../score/types.js';
import { SharedPolicy, type CoordinationOptions } from '../coordination/shared-policy.js';
import { BUILT_IN_GATES } from './built-in.js';
import { InstrumentDirectory } from './instrument-directory.js';
import type { AttemptVerdict, Gate, GateBlock, GatedAttempt, GateHost, GateKind } from './gate.js';

/** What the gates need from the conductor that runs them. */
export interface GatesHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly inspect: Inspector | undefined;
  /** `ConductorOptions.coordination`: where policy state is shared with other conductors. */
  readonly coordination?: CoordinationOptions | undefined;
  /** Runs `work` inside a conductor turn (what the coordination backend says enters there). */
  post(work: () => void): void;
  /** Something the planner reads changed: plan again. */
  wake(): void;
  /** A gate's state changed: the checkpoints of the jobs should record it. */
  persist(): void;
  /** An instrument became unavailable: sheets of it that have a fallback move on, recording `error`. */
  unavailable(instrument: string, error: string): void;
  /** A gate no longer holds `instrument` (or `model` of it): sheets waiting on it go back to ready. */
  lifted(instrument: string, model: string | undefined): void;
}

/**
 * Every gate of a conductor, and what they say together: for each instrument (and model)
 * that some gate holds back, the tightest block — the one admitting fewest attempts, the
 * earlier gate on a tie — which is what `planDispatch` reads.
 */
export class Gates {
  /** By instrument name or `modelKey`; absent keys are not held back. */
  readonly blocks = new Map<string, GateBlock>();
  private readonly installed: ReadonlyArray<{ readonly kind: GateKind; readonly gate: Gate }>;
  /** Instruments some gate says are unavailable, with the error their sheets record. */
  private readonly unavailableNow = new Map<string, string>();
  private restoring = false;
  private readonly instruments = new InstrumentDirectory();
  /** The link to the coordination backend, if policy state is shared. */
  private readonly shared: SharedPolicy | undefined;

  constructor(
    private readonly host: GatesHost,
    kinds: readonly GateKind[] = BUILT_IN_GATES,
  ) {
    const { coordination } = host;
    this.shared = coordination === undefined ? undefined : new SharedPolicy(coordination.backend, { clock: host.clock, bus: host.bus, post: host.post }, coordination);
    const gateHost: GateHost = {
      clock: host.clock,
      bus: host.bus,
      inspect: host.inspect,
      instruments: this.instruments,
      shared: this.shared,
      changed: (instrument, model) => this.changed(instrument, model),
      lifted: (instrument, model) => host.lifted(instrument, model),
    };
    this.installed = kinds.map((kind) => ({ kind, gate: kind.create(gateHost) }));
  }

  /** The running gate of a kind. */
  of<G extends Gate>(kind: GateKind<G>): G {
    const found = this.installed.find((entry) => entry.kind === kind);
    if (found === undefined) throw new Error(`no gate "${kind.name}" is installed`);
    return found.gate as G;
  }

  /** The instruments of a job being registered or restored. */
  adopt(instruments: Readonly<Record<string, InstrumentSpec>>): void {
    this.instruments.adopt(instruments);
    // A gate may hold a new instrument back before anything happened to it (a shared one, until the backend's first read).
    for (const name of Object.keys(instruments)) this.refresh(name, undefined);
    this.shared?.start();
  }

  /**
   * Tells every gate that an attempt was dispatched; returns what its musician must wait
   * for when some gate needs the coordination backend to confirm it first.
   */
  started(attempt: GatedAttempt): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const { gate } of this.installed) {
      const wait = gate.started?.(attempt);
      if (wait !== undefined) (waits ??= []).push(wait);
    }
    if (waits === undefined) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /** Tells every gate how an attempt ended; returns until when its sheet waits, if a gate holds it. */
  ended(attempt: GatedAttempt, verdict: AttemptVerdict): number | undefined {
    let until: number | undefined;
    for (const { gate } of this.installed) {
      const held = gate.ended(attempt, verdict);
      if (held !== undefined && (until === undefined || held > until)) until = held;
    }
    return until;
  }

  /** Why sheets of `instrument` should move to a fallback now, if some gate says so. */
  unavailable(instrument: string): string | undefined {
    return this.unavailableNow.get(instrument);
  }

  /** The state of every gate, for the checkpoint of a job whose score names `instruments`. */
  snapshot(instruments: ReadonlySet<string>): PolicyState {
    const state: Record<string, unknown> = {};
    for (const { kind, gate } of this.installed) state[kind.name] = gate.snapshot(instruments);
    return state;
  }

  /**
   * Brings back what a checkpoint recorded. Sheets are revived after this and check for
   * themselves whether their instrument is unavailable, so nothing is moved here.
   */
  restore(state: PolicyState | undefined): void {
    if (state === undefined) return;
    this.restoring = true;
    try {
      for (const { kind, gate } of this.installed) if (state[kind.name] !== undefined) gate.restore(state[kind.name]);
    } finally {
      this.restoring = false;
    }
  }

  /** Lets the last writes reach the coordination backend, then stops every gate. */
  async close(): Promise<void> {
    await this.shared?.dispose();
    for (const { gate } of this.installed) gate.dispose?.();
  }

  private changed(instrument: string, model: string | undefined): void {
    this.refresh(instrument, undefined);
    if (model !== undefined) this.refresh(instrument, model);
    this.host.persist();
    this.host.wake();
  }

  private refresh(instrument: string, model: string | undefined): void {
    let block: GateBlock | undefined;
    let unavailable: string | undefined;
    for (const { gate } of this.installed) {
      const said = gate.blocks(instrument, model);
      if (said === undefined) continue;
      if (block === undefined || said.admits < block.admits) block = said;
      unavailable ??= said.unavailable;
    }
    const key = model === undefined ? instrument : modelKey(instrument, model);
    if (block === undefined) this.blocks.delete(key);
    else this.blocks.set(key, block);
    if (model !== undefined) return;
    if (unavailable === undefined) {
      this.unavailableNow.delete(instrument);
    } else if (!this.unavailableNow.has(instrument)) {
      this.unavailableNow.set(instrument, unavailable);
      if (!this.restoring) this.host.unavailable(instrument, unavailable);
    }
  }
}
