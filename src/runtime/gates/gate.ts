import type { AbortSource } from '../../actors/attempt-abort.js';
import type { Inspector } from '../../actors/inspector.js';
import type { InstrumentSpec } from '../../score/types.js';
import type { Clock } from '../clock.js';
import type { SharedPolicy } from '../coordination/shared-policy.js';
import type { EventBus } from '../event-bus.js';
import type { InstrumentDirectory } from './instrument-directory.js';

/**
 * The contract of a gate: a policy that may hold back attempts on an instrument, or on one
 * model of it, across every job of a conductor (rate limits and circuit breakers are the
 * built-in ones). A gate says what it lets through and why, hears how attempts end, and
 * keeps its state in each job's checkpoint. It never sees jobs or sheets: the conductor
 * folds what every gate says into the blocks the pure planner reads, and moves the sheets.
 */
export interface Gate {
  /**
   * What it lets through now to `instrument` (model undefined) or, beyond that, to one
   * model of it. Undefined: it holds nothing back. Asked again after every `changed`.
   */
  blocks(instrument: string, model: string | undefined): GateBlock | undefined;
  /**
   * An attempt was dispatched (every attempt, whatever this gate said of its instrument). A
   * promise holds its musician back until it resolves: a slot or a probe that another
   * conductor could take too is confirmed by the coordination backend first. It resolves
   * (never rejects) when the attempt is aborted meanwhile.
   */
  started?(attempt: GatedAttempt): void | Promise<void>;
  /**
   * An attempt ended. Returns the time (conductor clock) until which its sheet must wait,
   * when this gate holds it back (a rate limit); the latest of all gates' answers counts.
   */
  ended(attempt: GatedAttempt, verdict: AttemptVerdict): number | undefined;
  /** Its state for the checkpoint of a job whose score names `instruments` (plain JSON). */
  snapshot(instruments: ReadonlySet<string>): unknown;
  /**
   * Brings back what a checkpoint recorded (what `snapshot` wrote); what it knows already
   * wins. It calls `changed` for every instrument whose blocks this alters.
   */
  restore(state: unknown): void;
  /** Stops its timers and actors. */
  dispose?(): void;
}

/** Why a skipped ready queue waits: the word of the gate that held it (`rate_limited`, `circuit_open`, …). */
export type GateReason = string;

/** What a gate says of an instrument (or a model of it) while it holds it back. */
export interface GateBlock {
  /** How many more attempts may start now: 0 for none, 1 for a half-open circuit's probe. */
  readonly admits: number;
  /** What the planner reports for the ready sheets it holds back. */
  readonly reason: GateReason;
  /**
   * Set when sheets that have a fallback should move on to it rather than wait: the error
   * they record (an open circuit). Only read on instrument-wide blocks.
   */
  readonly unavailable?: string;
}

/** An attempt as gates see it: the same object from its dispatch to its end. */
export interface GatedAttempt {
  readonly jobId: string;
  readonly sheetId: string;
  readonly instrument: string;
  readonly model: string | undefined;
  /** Aborted when the attempt is cancelled, times out or the conductor shuts down. */
  readonly abort: AbortSource;
}

/** What the conductor concluded of an ended attempt. */
export interface AttemptVerdict {
  /**
   * What it says of its instrument's health: an execution `failure`, a full `success`, or
   * `none` (rate-limited, partly validated, over budget, or not judged at all: cancelled).
   */
  readonly health: 'success' | 'failure' | 'none';
  /** Set when it was rate-limited: how long its output or its function asked to wait. */
  readonly rateLimitWaitMs?: number;
  /** The instrument's settings in the attempt's score; undefined when it was not judged. */
  readonly spec: InstrumentSpec | undefined;
  /** Conductor clock at its end. */
  readonly at: number;
}

/** What a gate may use, and what it tells the conductor. */
export interface GateHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  /** Receives XState inspection events of the gate's actors, if it has any. */
  readonly inspect: Inspector | undefined;
  /** The instruments of every registered job, and the identities they are shared under. */
  readonly instruments: InstrumentDirectory;
  /** The coordination backend's link, when policy state is shared with other conductors. */
  readonly shared: SharedPolicy | undefined;
  /**
   * What the gate lets through to `instrument` (or `model` of it) may have changed, or its
   * state did: the conductor asks `blocks` again, plans again and checkpoints the state.
   */
  changed(instrument: string, model?: string): void;
  /** The gate no longer holds `instrument` (or `model` of it): sheets waiting on it go back to ready. */
  lifted(instrument: string, model: string | undefined): void;
}

/** What `baton status` tells of a gate's state in a checkpoint. */
export interface GateStatus {
  /** The value of its key in `baton status --json` (a list of what is in force, for the built-in gates). */
  readonly json: unknown;
  /** Lines of the plain status, one per thing in force. */
  readonly lines: string[];
}

/** A kind of gate, as it is registered (see `built-in.ts`). */
export interface GateKind<G extends Gate = Gate> {
  /** The key of its state in a job's checkpoint and in `baton status --json`. */
  readonly name: string;
  create(host: GateHost): G;
  /** What its state in a checkpoint says at `now` (wall clock), for `baton status`. */
  status(state: unknown, now: number): GateStatus;
}
