import type { Redis } from 'ioredis';
import type { CoordinationBackend, SharedBreaker, SharedLimit, SharedSlots, SharedState, StoredBreaker } from './backend.js';
import { connectRedis, ignore, quit, subscriberOf } from './redis-connection.js';
import { CLAIM_SLOT, CLEAR_LIMIT, READ, RELEASE_SLOT, RENEW_SLOTS, REPORT_LIMIT, WRITE_BREAKER, type LuaScript } from './redis-scripts.js';

export interface RedisCoordinationOptions {
  /**
   * Put before every key and the change channel, so that several baton deployments (or tests)
   * can share one Redis without seeing each other.
   * @default 'baton:'
   */
  prefix?: string;
}

/** A breaker no one has written for this long is forgotten (after its `reopenAt`, if later). */
const BREAKER_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Coordination through one Redis server, for conductors on several hosts. Every decision is a
 * Lua script on Redis's clock (see redis-scripts.ts); the class only names keys and converts
 * replies. Needs the optional `ioredis` package, loaded on the first `connect`.
 */
export class RedisCoordination implements CoordinationBackend {
  readonly target: string;
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #listeners = new Set<() => void>();
  #subscriber: Redis | undefined;
  #closed = false;

  private constructor(client: Redis, target: string, prefix: string) {
    this.#client = client;
    this.target = target;
    this.#prefix = prefix;
  }

  /**
   * Connects to `url` (`redis://[user:password@]host:port/db`, or `rediss://` for TLS) and
   * checks that Redis answers. Rejects, naming the URL without its password, when it does not.
   */
  static async connect(url: string, options: RedisCoordinationOptions = {}): Promise<RedisCoordination> {
    const { client, target } = await connectRedis(url);
    return new RedisCoordination(client, target, options.prefix ?? 'baton:');
  }

  async read(): Promise<SharedState> {
    const reply = (await this.#run('read', READ, [this.#key('limits'), this.#key('breakers'), this.#key('slots')], [])) as [
      Array<string | number>,
      Array<string | number>,
      Array<string | Array<string | number>>,
    ];
    const [limitReply, breakerReply, slotReply] = reply;
    const limits: SharedLimit[] = [];
    for (let i = 0; i < limitReply.length; i += 2) {
      const [identity, model] = this.#decode('limit:', String(limitReply[i]));
      limits.push({ identity: identity!, model: model ?? null, remainingMs: Number(limitReply[i + 1]) });
    }
    const breakers: StoredBreaker[] = [];
    for (let i = 0; i < breakerReply.length; i += 5) {
      const [identity] = this.#decode('breaker:', String(breakerReply[i]));
      const stored = JSON.parse(String(breakerReply[i + 2])) as { value: SharedBreaker['value']; context: Omit<SharedBreaker['context'], 'openedAt' | 'reopenAt'> };
      const time = (offset: string | number | undefined): number | null => (offset === '' || offset === undefined ? null : Number(offset));
      breakers.push({
        identity: identity!,
        version: Number(breakerReply[i + 1]),
        value: stored.value,
        context: { ...stored.context, openedAt: time(breakerReply[i + 3]), reopenAt: time(breakerReply[i + 4]) },
      });
    }
    const slots: SharedSlots[] = [];
    for (let i = 0; i < slotReply.length; i += 2) {
      const [identity] = this.#decode('slots:', String(slotReply[i]));
      const leases = slotReply[i + 1] as Array<string | number>;
      const holders: Array<{ holder: string; remainingMs: number }> = [];
      for (let j = 0; j < leases.length; j += 2) holders.push({ holder: String(leases[j]), remainingMs: Number(leases[j + 1]) });
      slots.push({ identity: identity!, holders });
    }
    // Redis lists set members in no order; a stable one makes status and tests readable.
    const byName = (x: { identity: string; model?: string | null }, y: { identity: string; model?: string | null }): number =>
      x.identity.localeCompare(y.identity) || (x.model ?? '').localeCompare(y.model ?? '');
    return { limits: limits.sort(byName), breakers: breakers.sort(byName), slots: slots.sort(byName) };
  }

  async reportLimit(identity: string, model: string | null, waitMs: number): Promise<number> {
    const wait = Math.ceil(finite('waitMs', waitMs));
    return Number(await this.#run('reportLimit', REPORT_LIMIT, [this.#limitKey(identity, model), this.#key('limits')], [wait]));
  }

  async clearLimit(identity: string, model: string | null): Promise<void> {
    await this.#run('clearLimit', CLEAR_LIMIT, [this.#limitKey(identity, model), this.#key('limits')], []);
  }

  async writeBreaker(identity: string, version: number, next: SharedBreaker | null): Promise<boolean> {
    const keys = [this.#key('breaker:', identity), this.#key('breakers')];
    if (next === null) return (await this.#run('writeBreaker', WRITE_BREAKER, keys, [version, '', '', '', BREAKER_TTL_MS])) === 1;
    const { openedAt, reopenAt, ...context } = next.context;
    // Whole milliseconds: Redis's clock has no finer grain here, and the offsets stay exact.
    const offset = (time: number | null): string | number => (time === null ? '' : Math.round(finite('a breaker time', time)));
    const body = JSON.stringify({ value: next.value, context });
    const reply = await this.#run('writeBreaker', WRITE_BREAKER, keys, [version, body, offset(openedAt), offset(reopenAt), BREAKER_TTL_MS]);
    return reply === 1;
  }

  async claimSlot(identity: string, holder: string, limit: number, leaseMs: number): Promise<boolean> {
    const args = [holder, finite('limit', limit), Math.ceil(finite('leaseMs', leaseMs))];
    return (await this.#run('claimSlot', CLAIM_SLOT, [this.#key('slots:', identity), this.#key('slots')], args)) === 1;
  }

  async renewSlots(identity: string, holders: readonly string[], leaseMs: number): Promise<string[]> {
    if (holders.length === 0) return [];
    const args = [Math.ceil(finite('leaseMs', leaseMs)), ...holders];
    return (await this.#run('renewSlots', RENEW_SLOTS, [this.#key('slots:', identity), this.#key('slots')], args)) as string[];
  }

  async releaseSlot(identity: string, holder: string): Promise<void> {
    await this.#run('releaseSlot', RELEASE_SLOT, [this.#key('slots:', identity), this.#key('slots')], [holder]);
  }

  watch(listener: () => void): () => void {
    if (this.#closed) return ignore;
    // A wrapper of its own, so that the same listener watched twice is two watches.
    const entry = (): void => listener();
    this.#listeners.add(entry);
    this.#subscriber ??= this.#subscribe();
    return () => {
      this.#listeners.delete(entry);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await Promise.all([quit(this.#client), this.#subscriber && quit(this.#subscriber)]);
  }

  #subscribe(): Redis {
    const channel = this.#key('changed');
    const subscriber = subscriberOf(this.#client);
    subscriber.on('message', (from: string) => {
      if (from !== channel) return;
      for (const listener of [...this.#listeners]) {
        try {
          listener();
        } catch {
          // A listener's failure is its own; the others still hear of the change.
        }
      }
    });
    subscriber.subscribe(channel).catch(ignore);
    return subscriber;
  }

  async #run(operation: string, script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (this.#closed) throw new Error(`the Redis coordination backend at ${this.target} is closed (${operation})`);
    const argv = [this.#key('changed'), ...args];
    try {
      try {
        return await this.#client.evalsha(script.sha, keys.length, ...keys, ...argv);
      } catch (error) {
        // Redis forgets scripts when it restarts or is flushed: send it the script itself.
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await this.#client.eval(script.lua, keys.length, ...keys, ...argv);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`the Redis coordination backend at ${this.target} failed to ${operation}: ${message}`, { cause: error });
    }
  }

  #key(kind: string, ...parts: string[]): string {
    return this.#prefix + kind + parts.map(encodeURIComponent).join('/');
  }

  #limitKey(identity: string, model: string | null): string {
    return model === null ? this.#key('limit:', identity) : this.#key('limit:', identity, model);
  }

  /** The identity (and model) a key was made of by `#key`: `/` and `:` are escaped inside parts. */
  #decode(kind: string, key: string): string[] {
    return key.slice(this.#prefix.length + kind.length).split('/').map(decodeURIComponent);
  }
}

function finite(name: string, value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, not ${value}`);
  return value;
}
