import type { CoordinationBackend, SharedState } from './backend.js';

/** How long after a failed connection the next call tries again. */
const RETRY_MS = 1_000;

/**
 * A backend that could not be reached when the conductor started: each call tries to
 * connect (at most once a second) and rejects until it can, so the conductor goes on with
 * its local state and re-synchronises as soon as a connection is made.
 */
export class ReconnectingBackend implements CoordinationBackend {
  private connected: CoordinationBackend | undefined;
  private connecting: Promise<CoordinationBackend> | undefined;
  private lastFailure: { at: number; error: unknown } | undefined;
  /** Watchers, with the stop of their watch on the real backend once there is one. */
  private readonly listeners = new Map<() => void, (() => void) | undefined>();
  private closed = false;

  constructor(
    readonly target: string,
    private readonly connect: () => Promise<CoordinationBackend>,
  ) {}

  read(): Promise<SharedState> {
    return this.with((backend) => backend.read());
  }

  reportLimit(identity: string, model: string | null, waitMs: number): Promise<number> {
    return this.with((backend) => backend.reportLimit(identity, model, waitMs));
  }

  clearLimit(identity: string, model: string | null): Promise<void> {
    return this.with((backend) => backend.clearLimit(identity, model));
  }

  writeBreaker(...args: Parameters<CoordinationBackend['writeBreaker']>): Promise<boolean> {
    return this.with((backend) => backend.writeBreaker(...args));
  }

  claimSlot(identity: string, holder: string, limit: number, leaseMs: number): Promise<boolean> {
    return this.with((backend) => backend.claimSlot(identity, holder, limit, leaseMs));
  }

  renewSlots(identity: string, holders: readonly string[], leaseMs: number): Promise<string[]> {
    return this.with((backend) => backend.renewSlots(identity, holders, leaseMs));
  }

  releaseSlot(identity: string, holder: string): Promise<void> {
    return this.with((backend) => backend.releaseSlot(identity, holder));
  }

  /** Listeners are handed to the real backend once it is connected. */
  watch(listener: () => void): () => void {
    this.listeners.set(listener, this.connected?.watch(listener));
    return () => {
      this.listeners.get(listener)?.();
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.connecting;
    if (pending !== undefined) await pending.catch(() => undefined);
    await this.connected?.close();
  }

  private async with<T>(op: (backend: CoordinationBackend) => Promise<T>): Promise<T> {
    return op(await this.backend());
  }

  private backend(): Promise<CoordinationBackend> {
    if (this.closed) return Promise.reject(new Error(`the coordination backend ${this.target} is closed`));
    if (this.connected !== undefined) return Promise.resolve(this.connected);
    const failure = this.lastFailure;
    if (failure !== undefined && Date.now() - failure.at < RETRY_MS) return Promise.reject(failure.error instanceof Error ? failure.error : new Error(String(failure.error)));
    this.connecting ??= this.connect().then(
      (backend) => {
        this.connecting = undefined;
        this.lastFailure = undefined;
        if (this.closed) {
          void backend.close();
          throw new Error(`the coordination backend ${this.target} is closed`);
        }
        this.connected = backend;
        for (const listener of this.listeners.keys()) this.listeners.set(listener, backend.watch(listener));
        return backend;
      },
      (error: unknown) => {
        this.connecting = undefined;
        this.lastFailure = { at: Date.now(), error };
        throw error;
      },
    );
    return this.connecting;
  }
}
