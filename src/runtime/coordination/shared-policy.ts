import { nanoid } from 'nanoid';
import type { Subscription } from 'rxjs';
import type { CoordinationBackend, SharedState } from '../../coordination/backend.js';
import type { AbortSource } from '../../actors/attempt-abort.js';
import { errorMessage } from '../../util/error-message.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../event-bus.js';

/** `ConductorOptions.coordination`: the backend policy state is shared through, and its timings. */
export interface CoordinationOptions {
  readonly backend: CoordinationBackend;
  /**
   * How long a shared slot (or a half-open probe) stays taken without renewal: a conductor
   * that dies frees its slots within this. Renewed every third of it. @default 10_000
   */
  readonly leaseMs?: number;
  /** How often the backend is read, besides its notifications (which can be lost). @default 250 */
  readonly pollMs?: number;
}

export interface SharedPolicyHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  /** Runs `work` inside a conductor turn: state from the backend enters through the inbox. */
  post(work: () => void): void;
}

/** What the gates hear: the backend's state at a read, or undefined while it is unreachable. */
export type SharedStateListener = (state: SharedState | undefined, readAt: number) => void;

export const DEFAULT_LEASE_MS = 10_000;
const DEFAULT_POLL_MS = 250;

/**
 * A conductor's link to its coordination backend. It keeps the latest state read (polled on
 * the conductor's clock and re-read on every notification) and hands it to the gates inside
 * a conductor turn, so the planner reads local mirrors and stays synchronous. Every call to
 * the backend goes through `call`: a failure marks it offline — warned once, as an event —
 * and the gates go on with their local state until a call succeeds again.
 */
export class SharedPolicy {
  readonly target: string;
  readonly leaseMs: number;
  /** Tells this conductor's slot holders apart from every other's. */
  private readonly conductorId = nanoid(10);
  private serial = 0;
  private readonly pollMs: number;
  private readonly listeners = new Set<SharedStateListener>();
  private online = true;
  private reading = false;
  private readAgain = false;
  private poll: Subscription | undefined;
  private unwatch: (() => void) | undefined;
  /** Set by `dispose`: nothing is read or claimed any more; writes already under way still go out. */
  private stopping = false;
  /** Set once `dispose` has let the last write out: no call reaches the backend after it. */
  private closed = false;
  /** Calls under way, which `dispose` waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The state at the latest read, undefined before the first and while offline. */
  state: SharedState | undefined;
  /**
   * The first read has been applied, or the backend has failed: until then nothing shared
   * is dispatched, so that a conductor that starts late holds to the limits in force.
   */
  synced = false;
  /** Slots and probes this conductor holds, by identity: holder → the limit it was claimed under. */
  private readonly held = new Map<string, Map<string, number>>();
  private renewal: Subscription | undefined;
  /** Admissions waiting for the next state (or for their abort). */
  private waiters = new Set<() => void>();

  constructor(
    private readonly backend: CoordinationBackend,
    private readonly host: SharedPolicyHost,
    options: Omit<CoordinationOptions, 'backend'> = {},
  ) {
    this.target = backend.target;
    this.leaseMs = positive(options.leaseMs, DEFAULT_LEASE_MS, 'leaseMs');
    this.pollMs = positive(options.pollMs, DEFAULT_POLL_MS, 'pollMs');
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** A new holder name for one slot or probe. */
  holder(): string {
    return `${this.conductorId}.${++this.serial}`;
  }

  onState(listener: SharedStateListener): void {
    this.listeners.add(listener);
  }

  start(): void {
    if (this.poll !== undefined || this.stopping) return;
    try {
      this.unwatch = this.backend.watch(() => this.refresh());
    } catch (error) {
      this.failed(error);
    }
    const tick = (): void => {
      this.refresh();
      this.poll = this.host.clock.schedule(tick, this.pollMs);
    };
    tick();
  }

  /** Reads the backend again (at most one read at a time; a request during one runs after it). */
  refresh(): void {
    if (this.stopping) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void this.call((backend) => backend.read()).then((state) => {
      this.reading = false;
      if (state !== undefined && !this.stopping) {
        this.host.post(() => {
          if (this.stopping) return;
          this.state = state;
          this.synced = true;
          const readAt = this.host.clock.now();
          for (const listener of this.listeners) listener(state, readAt);
          this.wakeWaiters();
        });
      }
      if (this.readAgain) {
        this.readAgain = false;
        this.refresh();
      }
    });
  }

  /** Runs one call on the backend; undefined when it failed (the backend is then offline). */
  call<T>(op: (backend: CoordinationBackend) => Promise<T>): Promise<T | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const call = this.run(op);
    this.inFlight.add(call);
    void call.finally(() => this.inFlight.delete(call));
    return call;
  }

  private async run<T>(op: (backend: CoordinationBackend) => Promise<T>): Promise<T | undefined> {
    try {
      const result = await op(this.backend);
      this.succeeded();
      return result;
    } catch (error) {
      this.failed(error);
      return undefined;
    }
  }

  /** Whether a holder name is one of this conductor's. */
  isMine(holder: string): boolean {
    return holder.startsWith(`${this.conductorId}.`);
  }

  /**
   * Tries to take one of `limit` slots of `identity`: true when taken (its lease is then
   * renewed until `release`), false when none is free, undefined while offline.
   */
  async claim(identity: string, holder: string, limit: number): Promise<boolean | undefined> {
    const granted = await this.call((backend) => backend.claimSlot(identity, holder, limit, this.leaseMs));
    if (granted === true && !this.closed) {
      // Recorded even while stopping, so that the attempt's `release` frees it.
      let holders = this.held.get(identity);
      if (holders === undefined) this.held.set(identity, (holders = new Map()));
      holders.set(holder, limit);
      if (!this.stopping) this.renewal ??= this.host.clock.schedule(() => this.renew(), this.leaseMs / 3);
    }
    return granted;
  }

  /** Frees a slot taken by `claim` (a no-op for one never granted). */
  release(identity: string, holder: string): void {
    const holders = this.held.get(identity);
    if (holders?.delete(holder) !== true) return;
    if (holders.size === 0) this.held.delete(identity);
    // No read after it: this conductor counts its own slots itself; the others hear of it.
    void this.call((backend) => backend.releaseSlot(identity, holder));
  }

  /**
   * Resolves once `attempt` may start: when `tryOnce` says true, or undefined (the backend
   * is unreachable: the caller's local state has already let it through), or when the
   * attempt is aborted. After a false it tries again at the next state read.
   */
  async admit(abort: AbortSource, tryOnce: () => Promise<boolean | undefined>): Promise<void> {
    while (!abort.aborted && !this.stopping) {
      if ((await tryOnce()) !== false) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          stop();
          resolve();
        };
        const stop = abort.listen(wake);
        this.waiters.add(wake);
      });
    }
  }

  /**
   * Stops polling, renewing and listening, and resolves once the writes under way have
   * reached the backend: the releases and verdicts of the last attempts, which others wait
   * for (a probe slot or a shared cap slot left taken holds them for a whole lease). A
   * write that leads to another (a breaker's read then compare-and-set, a verdict then the
   * release of its probe slot) starts the next from its continuation, which runs before
   * this loop looks again, having been registered first. The backend itself belongs to
   * whoever made it.
   */
  async dispose(): Promise<void> {
    this.stopping = true;
    this.poll?.unsubscribe();
    this.renewal?.unsubscribe();
    this.unwatch?.();
    this.wakeWaiters();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.closed = true;
  }

  private wakeWaiters(): void {
    const waiters = [...this.waiters];
    for (const wake of waiters) wake();
  }

  /**
   * Renews every lease held; one lost meanwhile (this process was frozen past it and
   * another took the slot) is claimed again, so the attempt counts once a slot is free.
   */
  private renew(): void {
    this.renewal = undefined;
    if (this.stopping || this.held.size === 0) return;
    for (const [identity, holders] of this.held) {
      void this.call((backend) => backend.renewSlots(identity, [...holders.keys()], this.leaseMs)).then((lost) => {
        for (const holder of lost ?? []) {
          const limit = holders.get(holder);
          if (limit !== undefined) void this.call((backend) => backend.claimSlot(identity, holder, limit, this.leaseMs));
        }
      });
    }
    this.renewal = this.host.clock.schedule(() => this.renew(), this.leaseMs / 3);
  }

  private failed(error: unknown): void {
    if (!this.online || this.stopping) return;
    this.online = false;
    const { bus, clock } = this.host;
    if (bus.observed) bus.emit({ type: 'coordination.offline', target: this.target, error: errorMessage(error), at: clock.now() });
    this.host.post(() => {
      this.state = undefined;
      this.synced = true;
      const readAt = this.host.clock.now();
      for (const listener of this.listeners) listener(undefined, readAt);
      this.wakeWaiters();
    });
  }

  private succeeded(): void {
    if (this.online || this.stopping) return;
    this.online = true;
    const { bus, clock } = this.host;
    if (bus.observed) bus.emit({ type: 'coordination.online', target: this.target, at: clock.now() });
    this.refresh();
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`ConductorOptions.coordination.${name} must be a positive number of ms, got ${String(value)}`);
  return value;
}
