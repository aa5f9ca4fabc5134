import { homedir } from 'node:os';
import path from 'node:path';
import type { CoordinationBackend } from './backend.js';
import { ReconnectingBackend } from './reconnecting-backend.js';

/** A `--coordinate` value that names no backend baton knows. */
export class CoordinationTargetError extends Error {
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(`--coordinate ${JSON.stringify(target)}: ${reason}`);
    this.name = 'CoordinationTargetError';
  }
}

/**
 * Where `--coordinate sqlite` (no path) keeps the shared file: the user's state directory
 * (`$XDG_STATE_HOME`, else `~/.local/state`), under `baton/`, so every score of the user on
 * this host shares it.
 */
export function defaultCoordinationPath(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== '' ? env.XDG_STATE_HOME : path.join(homedir(), '.local', 'state');
  return path.join(state, 'baton', 'coordination.db');
}

/**
 * Opens the backend a `--coordinate` value (or `BATON_COORDINATION`) names:
 * `sqlite:PATH` (relative to `cwd`), `sqlite` alone for the default path, or a
 * `redis://` / `rediss://` URL. The Redis client is loaded only when one is asked for.
 */
export async function openCoordination(target: string, cwd = process.cwd()): Promise<CoordinationBackend> {
  const value = target.trim();
  if (value === 'sqlite' || value === 'sqlite:') {
    const { SqliteCoordination } = await import('./sqlite-backend.js');
    return new SqliteCoordination(defaultCoordinationPath());
  }
  if (value.startsWith('sqlite:')) {
    const { SqliteCoordination } = await import('./sqlite-backend.js');
    return new SqliteCoordination(path.resolve(cwd, value.slice('sqlite:'.length)));
  }
  if (/^rediss?:\/\//.test(value)) {
    if (!URL.canParse(value)) throw new CoordinationTargetError(target, 'the Redis URL does not parse (redis://[user:password@]host[:port][/db])');
    try {
      await import('ioredis');
    } catch {
      throw new CoordinationTargetError(target, 'the Redis backend needs the ioredis package: npm install ioredis');
    }
    const connect = async (): Promise<CoordinationBackend> => {
      const { RedisCoordination } = await import('./redis-backend.js');
      return RedisCoordination.connect(value);
    };
    try {
      return await connect();
    } catch {
      // Unreachable now: the conductor starts on its own state and connects once Redis answers.
      return new ReconnectingBackend(redactedUrl(value), connect);
    }
  }
  throw new CoordinationTargetError(target, 'expected sqlite:PATH, sqlite (the default file), or a redis:// URL');
}

/** A Redis URL as status and warnings show it: scheme, host, port and database, never credentials. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const db = parsed.pathname.replace(/^\//, '') || '0';
    return `${parsed.protocol}//${parsed.host}/${db}`;
  } catch {
    return 'redis://(a URL that does not parse)';
  }
}
