import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisCoordination } from '../../src/coordination/redis-backend.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { backendContract } from './backend-contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

let namespaces = 0;
/** A prefix of its own for each test: one server serves the whole file. */
const freshPrefix = (): string => `test${++namespaces}.${process.pid}:`;

backendContract('Redis', async () => {
  const prefix = freshPrefix();
  const a = await RedisCoordination.connect(server.url, { prefix });
  const b = await RedisCoordination.connect(server.url, { prefix });
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
});

/** Settles within `ms` or fails saying so: a call to a Redis that is down must not hang. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('Redis coordination backend, on Redis itself', () => {
  let prefix: string;
  let a: RedisCoordination;
  let b: RedisCoordination;
  let raw: Redis;
  beforeAll(() => {
    raw = new Redis(server.url);
    // It loses its connection while the server restarts, and gets it back by itself.
    raw.on('error', () => {});
  });
  afterAll(async () => {
    await raw.quit();
  });
  const open = async (): Promise<void> => {
    prefix = freshPrefix();
    a = await RedisCoordination.connect(server.url, { prefix });
    b = await RedisCoordination.connect(server.url, { prefix });
  };
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all([a?.close(), b?.close()]);
  });
  /** Redis's clock, in ms. */
  const redisNow = async (): Promise<number> => {
    const [seconds, micros] = await raw.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  it('names itself by host, port and database', async () => {
    await open();
    expect(a.target).toBe(`redis://127.0.0.1:${server.port}/0`);
  });

  it('tells watchers of a change made through another handle, until they stop watching', async () => {
    await open();
    let heard = 0;
    let stoppedHeard = 0;
    a.watch(() => {
      throw new Error('a listener that fails');
    });
    const stop = a.watch(() => stoppedHeard++);
    a.watch(() => heard++);
    stop();
    // The subscription is made in the background: change things until it is heard.
    let wait = 10_000;
    await waitFor(async () => (heard > 0 ? true : void (await b.reportLimit('api', null, (wait += 1000)))), { pollMs: 50 });
    expect(stoppedHeard).toBe(0);
  });

  it('keeps every key under its prefix, each with a TTL, and forgets expired keys from its indexes', async () => {
    await open();
    await a.reportLimit('api', null, 60_000);
    await a.claimSlot('api', 'h1', 1, 30_000);
    await a.writeBreaker('api', 0, { value: 'closed', context: { failures: 2, baseCooldownMs: 1, maxCooldownMs: 1, growth: 2, consecutiveFailures: 1, opens: 0, openedAt: null, reopenAt: null, cooldownMs: null, probeInFlight: false } });
    const keys = (await raw.keys(`${prefix}*`)).sort();
    expect(keys).toEqual([`${prefix}breaker:api`, `${prefix}breakers`, `${prefix}limit:api`, `${prefix}limits`, `${prefix}slots`, `${prefix}slots:api`]);
    const limitTtl = await raw.pttl(`${prefix}limit:api`);
    expect(limitTtl).toBeGreaterThan(50_000);
    expect(limitTtl).toBeLessThanOrEqual(60_000);
    const slotTtl = await raw.pttl(`${prefix}slots:api`);
    expect(slotTtl).toBeGreaterThan(20_000);
    expect(slotTtl).toBeLessThanOrEqual(30_000);
    expect(await raw.pttl(`${prefix}breaker:api`)).toBeGreaterThan(23 * 3600_000);

    await a.reportLimit('brief', null, 100);
    await a.claimSlot('brief', 'h2', 1, 100);
    expect(await raw.smembers(`${prefix}limits`)).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await b.read();
    expect(await raw.smembers(`${prefix}limits`)).toEqual([`${prefix}limit:api`]);
    expect(await raw.smembers(`${prefix}slots`)).toEqual([`${prefix}slots:api`]);
  });

  it('keeps identities and models with dots, dashes, underscores, colons and slashes apart', async () => {
    await open();
    await a.reportLimit('team.api-v2_x', 'gpt-4o/mini:beta', 30_000);
    await a.reportLimit('team.api-v2_x/gpt-4o', 'mini:beta', 20_000);
    await a.reportLimit('team.api-v2_x', null, 10_000);
    await a.claimSlot('a:b/c', 'holder/1:x', 1, 30_000);
    const state = await b.read();
    expect(state.limits.map((l) => [l.identity, l.model])).toEqual([
      ['team.api-v2_x', null],
      ['team.api-v2_x', 'gpt-4o/mini:beta'],
      ['team.api-v2_x/gpt-4o', 'mini:beta'],
    ]);
    expect(state.slots).toEqual([{ identity: 'a:b/c', holders: [{ holder: 'holder/1:x', remainingMs: expect.any(Number) }] }]);
  });

  it("keeps time on Redis's clock, whatever the conductor's clock says", async () => {
    await open();
    // This process's clock is a day ahead; Redis's is not.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 24 * 3600_000 });
    const before = await redisNow();
    expect(await a.reportLimit('api', null, 60_000)).toBe(60_000);
    await a.writeBreaker('api', 0, { value: 'open', context: { failures: 1, baseCooldownMs: 1, maxCooldownMs: 1, growth: 2, consecutiveFailures: 1, opens: 1, openedAt: -1_000, reopenAt: 30_000, cooldownMs: 31_000, probeInFlight: false } });
    const after = await redisNow();
    const ends = Number(await raw.get(`${prefix}limit:api`));
    expect(ends).toBeGreaterThanOrEqual(before + 60_000);
    expect(ends).toBeLessThanOrEqual(after + 60_000);
    const reopenAt = Number(await raw.hget(`${prefix}breaker:api`, 'reopenAt'));
    expect(reopenAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(reopenAt).toBeLessThanOrEqual(after + 30_000);
    const { limits, breakers } = await b.read();
    expect(limits[0]!.remainingMs).toBeGreaterThan(50_000);
    expect(limits[0]!.remainingMs).toBeLessThanOrEqual(60_000);
    expect(breakers[0]!.context.openedAt).toBeLessThanOrEqual(-1_000);
    expect(breakers[0]!.context.openedAt).toBeGreaterThan(-11_000);
  });

  it('rejects calls at once while Redis is down, and works again once it is back, without a new connect', async () => {
    await open();
    await a.reportLimit('api', null, 60_000);
    let heard = 0;
    a.watch(() => heard++);
    await server.stop();
    await expect(within(10_000, a.read())).rejects.toThrow(`the Redis coordination backend at ${a.target} failed to read`);
    await expect(within(10_000, b.reportLimit('api', null, 1_000))).rejects.toThrow('failed to reportLimit');
    await expect(within(10_000, b.claimSlot('api', 'h1', 1, 1_000))).rejects.toThrow('failed to claimSlot');
    await server.restart();
    // ioredis reconnects in the background, every half second at most.
    for (const handle of [a, b]) await waitFor(() => handle.read().then(() => true, () => undefined), { pollMs: 100 });
    // The new server is empty, scripts included: they are sent again.
    expect(await a.reportLimit('api', null, 60_000)).toBe(60_000);
    expect(await b.claimSlot('api', 'h1', 1, 10_000)).toBe(true);
    // The watcher's connection subscribed again.
    let wait = 60_000;
    await waitFor(async () => (heard > 0 ? true : void (await b.reportLimit('api', null, (wait += 1000)))), { pollMs: 50 });
  });

  it('rejects a connection to a port where nothing listens, naming the URL without its password', async () => {
    const port = await unusedPort();
    const attempt = within(15_000, RedisCoordination.connect(`redis://:hunter2@127.0.0.1:${port}/3`));
    await expect(attempt).rejects.toThrow(`redis://127.0.0.1:${port}/3`);
    await expect(attempt).rejects.not.toThrow('hunter2');
  });

  it('connects with a password, and never shows it', async () => {
    const guarded = await startRedis({ password: 'hunter2' });
    try {
      const handle = await RedisCoordination.connect(guarded.url);
      expect(guarded.url).toContain('hunter2');
      expect(handle.target).toBe(`redis://127.0.0.1:${guarded.port}/0`);
      expect(await handle.reportLimit('api', null, 1_000)).toBe(1_000);
      await handle.close();
      const wrong = RedisCoordination.connect(`redis://:letmein@127.0.0.1:${guarded.port}/0`);
      await expect(wrong).rejects.toThrow(`could not reach the Redis coordination backend at redis://127.0.0.1:${guarded.port}/0: WRONGPASS`);
      await expect(wrong).rejects.not.toThrow('letmein');
    } finally {
      await guarded.stop();
    }
  });
});

describe('Redis coordination backend without ioredis installed', () => {
  it('says which package to install', async () => {
    // A second Node process in which the ioredis package cannot be found.
    const hideIoredis = `export async function resolve(specifier, context, next) {
      if (specifier !== 'ioredis') return next(specifier, context);
      throw Object.assign(new Error("Cannot find package 'ioredis'"), { code: 'ERR_MODULE_NOT_FOUND' });
    }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hideIoredis)}`)});`;
    const backend = fileURLToPath(new URL('../../src/coordination/redis-backend.ts', import.meta.url));
    const program = `const { RedisCoordination } = await import(${JSON.stringify(backend)});
      await RedisCoordination.connect('redis://127.0.0.1:6379/0').then(() => console.log('connected'), (error) => console.log(error.message));`;
    const args = ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', program];
    // The bound only turns a program that never exits into a failure instead of a hang.
    const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 25_000, killSignal: 'SIGKILL' });
    expect(stdout.trim()).toBe('the Redis coordination backend needs the ioredis package: npm install ioredis');
  });
});
