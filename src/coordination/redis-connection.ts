/**
 * Connections to Redis for the coordination backend, through the optional `ioredis` package:
 * loaded on the first connection, so that users without Redis never need it.
 */
import type { Redis, RedisOptions } from 'ioredis';

/**
 * Fail fast while Redis is away, so that conductors go on with their local state instead of
 * waiting: no queue of commands for later, one retry at most, and a bound on a command that
 * Redis never answers (a host gone without closing the connection). Reconnection goes on in
 * the background, every half second at most, so calls succeed again once Redis is back.
 */
const CONNECTION: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 5_000,
  retryStrategy: (attempt) => Math.min(attempt * 50, 500),
  // A client whose connection failed otherwise keeps the process alive 2 s after `close()`.
  disconnectTimeout: 100,
};

/**
 * The subscriber waits for Redis instead: a `SUBSCRIBE` sent while Redis is away is sent once
 * it is back, and ioredis subscribes again after every reconnection.
 */
const SUBSCRIBER: Partial<RedisOptions> = {
  lazyConnect: false,
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  commandTimeout: undefined,
  autoResubscribe: true,
};

export const ignore = (): void => {};

/**
 * A connection to `url` that has answered PING, and what to call it: `redis://host:port/db`.
 * Rejects, naming the URL without its password, when Redis cannot be reached.
 */
export async function connectRedis(url: string): Promise<{ client: Redis; target: string }> {
  const target = redisTarget(url);
  const RedisClient = await loadIoredis();
  const client = new RedisClient(url, CONNECTION);
  let lastError: Error | undefined;
  const remember = (error: Error): void => {
    lastError = error;
  };
  client.on('error', remember);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    // ioredis rejects with "Connection is closed"; the error event before it says why.
    const reason = (lastError ?? (error as Error)).message;
    throw new Error(`could not reach the Redis coordination backend at ${target}: ${reason}`, { cause: error });
  }
  // Calls report their own failures; the connection's errors need a listener all the same,
  // or ioredis prints each of them.
  client.off('error', remember);
  client.on('error', ignore);
  return { client, target };
}

/** A second connection to the same Redis, for SUBSCRIBE (which takes a connection over). */
export function subscriberOf(client: Redis): Redis {
  const subscriber = client.duplicate(SUBSCRIBER);
  subscriber.on('error', ignore);
  return subscriber;
}

/** Politely when connected; at once otherwise, which also stops reconnecting. */
export async function quit(client: Redis): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await client.quit().then(ignore, () => client.disconnect());
}

/** `redis://host:port/db` from a Redis URL: what a user may see, so never its credentials. */
function redisTarget(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a Redis URL: ${url.replace(/\/\/[^/@]*@/, '//')} (expected redis://[user:password@]host:port/db)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`not a Redis URL: ${parsed.protocol}//${parsed.host}${parsed.pathname} (expected redis://[user:password@]host:port/db)`);
  }
  const db = parsed.pathname.replace(/^\//, '') || '0';
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}/${db}`;
}

async function loadIoredis(): Promise<typeof Redis> {
  try {
    return (await import('ioredis')).Redis;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error('the Redis coordination backend needs the ioredis package: npm install ioredis', { cause: error });
  }
}
