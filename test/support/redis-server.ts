/**
 * A real Redis for the coordination tests: Debian's redis-server, on 127.0.0.1 and a free
 * port, keeping nothing on disk. It can be stopped and started again on the same port, for
 * the tests of a Redis that goes away and comes back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { makeTempDir, removeDir } from './temp-dir.js';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>/0`, with the password if there is one. */
  readonly url: string;
  readonly port: number;
  /** Of the running server; changes on `restart`. */
  readonly pid: number;
  /** Stops it (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
  /** Stops it if it runs, and starts a new one, empty, on the same port (after `stop` too). */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** Makes the server require this password (`requirepass`). */
  password?: string;
}

function redisServerPath(): string {
  const found = (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'redis-server')).find((path) => existsSync(path));
  const path = found ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : undefined);
  if (path === undefined) {
    throw new Error('the Redis coordination tests need redis-server, which is not installed: apt-get install -y redis-server');
  }
  return path;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port to give to redis-server');
  return address.port;
}

/** Whether a Redis answers PING on `port` (NOAUTH counts: it answers). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts redis-server on `port`; resolves once it answers, rejects with its output if it exits first. */
async function launch(path: string, port: number, dir: string, password: string | undefined): Promise<ChildProcess> {
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'];
  args.push('--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--loglevel', 'warning');
  if (password !== undefined) args.push('--requirepass', password);
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`redis-server on port ${port} exited (${signal ?? code}) before answering:\n${output}`)));
  });
  failed.catch(() => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await Promise.race([answers(port), failed])) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING within 10 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function halt(child: ChildProcess): Promise<void> {
  const gone = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}

/** A fresh redis-server, empty, with no persistence; fails loudly if redis-server is not installed. */
export async function startRedis({ password }: StartRedisOptions = {}): Promise<RedisServer> {
  const path = redisServerPath();
  const dir = makeTempDir('baton-redis-');
  // The port is free when asked, and another process may take it before redis-server does.
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(path, port, dir, password);
    } catch (error) {
      if (attempt === 3) {
        removeDir(dir);
        throw error;
      }
    }
  }
  let running: ChildProcess | undefined = child;
  // A test run that dies leaves no server behind.
  const killOnExit = (): void => {
    running?.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  const stop = async (): Promise<void> => {
    if (running !== undefined) await halt(running);
    running = undefined;
  };
  return {
    url: `redis://${auth}127.0.0.1:${port}/0`,
    port,
    get pid() {
      if (running?.pid === undefined) throw new Error(`redis-server on port ${port} is stopped`);
      return running.pid;
    },
    async stop() {
      await stop();
      removeDir(dir);
    },
    async restart() {
      await stop();
      mkdirSync(dir, { recursive: true });
      running = await launch(path, port, dir, password);
    },
  };
}
