// S9 and S10: jobs whose instrument is shared through a coordination backend, from
// `baton-runtime/cluster` as an embedder imports it. Redis children start their own
// redis-server (Debian's) on a free port, outside the measured work, and stop it by pid.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Conductor, defineScore } from './baton.mjs';

const cluster = await import('baton-runtime/cluster');
export const { SqliteCoordination, RedisCoordination } = cluster;

/** The S1 job with its instrument under `shared_as: bench-api` and, if given, a shared cap. */
export function sharedScore(n, sharedConcurrency) {
  return defineScore({
    version: 1,
    name: 'bench',
    concurrency: 10,
    max_sheets: Math.max(n, 1),
    instruments: {
      noop: { kind: 'function', run: async () => ({ ok: true }), shared_as: 'bench-api', ...(sharedConcurrency && { shared_concurrency: sharedConcurrency }) },
    },
    sheets: [{ id: 'noop', fan_out: n }],
  });
}

export async function runJob(score, coordination) {
  const conductor = new Conductor(coordination === undefined ? {} : { coordination });
  const id = conductor.register(score);
  const result = await conductor.waitForCompletion(id);
  await conductor.shutdown();
  if (result.outcome !== 'completed') throw new Error(`job ended ${result.outcome}`);
}

export function tempFile(name) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, name);
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A throw-away redis-server; resolves once it answers, with its URL and its stop. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', dir], {
    stdio: 'ignore',
  });
  const stop = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  const url = `redis://127.0.0.1:${port}`;
  for (let tries = 0; tries < 200; tries++) {
    try {
      const backend = await RedisCoordination.connect(url);
      await backend.close();
      return { url, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  stop();
  throw new Error(`redis-server did not answer on ${url} (is it installed? apt-get install -y redis-server)`);
}
