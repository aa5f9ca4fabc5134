import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpawnerReply, StartRequest } from '../../src/actors/spawner/protocol.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';

const helperPath = fileURLToPath(new URL('../../src/actors/spawner/helper.ts', import.meta.url));
let dir: string;
let helper: ChildProcess;
let messages: unknown[];

beforeEach(async () => {
  dir = makeTempDir('baton-actors-');
  messages = [];
  helper = fork(helperPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  helper.on('message', (message) => messages.push(message));
});
afterEach(async () => {
  if (helper.exitCode === null && helper.signalCode === null) {
    helper.kill('SIGKILL');
    await once(helper, 'exit');
  }
  removeDir(dir);
});

function startRequest(id: number, file: string, args: string[]): StartRequest {
  return {
    type: 'start',
    id,
    file,
    args,
    cwd: join(dir, 'ws'),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    folders: [join(dir, 'ws'), join(dir, 'out')],
    stdoutFile: join(dir, 'out', `${id}.stdout`),
    stderrFile: join(dir, 'out', `${id}.stderr`),
    groupExitWaitMs: 2000,
  };
}

/** The replies about attempt `id` received so far, once `count` of them have arrived. */
function repliesFor(id: number, count: number): Promise<SpawnerReply[]> {
  return waitFor(() => {
    const replies = messages.filter((message) => (message as { id?: unknown }).id === id) as SpawnerReply[];
    return replies.length >= count ? replies : undefined;
  });
}

describe('the spawner helper program', () => {
  it('says it is ready before anything else', async () => {
    await waitFor(() => (messages.length > 0 ? true : undefined));
    expect(messages[0]).toEqual({ type: 'ready' });
  });

  it('starts a program and reports its pid, then its exit with the tails', async () => {
    helper.send(startRequest(1, 'bash', ['-c', 'echo out; echo err >&2; exit 4']));
    const [spawned, exit] = await repliesFor(1, 2);
    expect(spawned).toEqual({ type: 'spawned', id: 1, pid: expect.any(Number) });
    expect(exit).toEqual({ type: 'exit', id: 1, code: 4, signal: null, stdoutTail: 'out\n', stderrTail: 'err\n', findings: {} });
  });

  it('scans the whole output by the rules of the start request and reports what counts', async () => {
    const script = 'echo cost=0.5; echo "rate limit; retry after 7" >&2; head -c 200000 /dev/zero | tr "\\0" x; echo; echo done';
    helper.send({
      ...startRequest(1, 'bash', ['-c', script]),
      scan: {
        cost: { source: 'cost=([0-9.]+)', flags: '' },
        rateLimit: { patterns: [{ source: 'RATE LIMIT', flags: '' }], retryAfter: { source: 'retry after (\\d+)', flags: '' }, streams: ['stderr', 'stdout'] },
      },
    });
    const [, exit] = await repliesFor(1, 2);
    expect(exit).toMatchObject({
      type: 'exit',
      stdoutTail: expect.stringMatching(/x\ndone\n$/),
      findings: { costUsd: 0.5, rateLimit: { stderr: { rateLimited: true, retryAfterS: 7 }, stdout: { rateLimited: false } } },
    });
  });

  it('answers a start whose scan rules do not compile as malformed', async () => {
    helper.send({ ...startRequest(1, 'true', []), scan: { cost: { source: '(', flags: '' } } });
    expect(await repliesFor(1, 1)).toEqual([{ type: 'spawn-threw', id: 1, error: { message: 'malformed start request' } }]);
  });

  it('answers a start it cannot read, ignores messages without an attempt, and goes on serving', async () => {
    helper.send('garbage');
    helper.send({ type: 'start', id: 1 });
    helper.send({ type: 'cancel', id: 99 });
    helper.send(startRequest(2, 'true', []));
    expect(await repliesFor(1, 1)).toEqual([{ type: 'spawn-threw', id: 1, error: { message: 'malformed start request' } }]);
    const replies = await repliesFor(2, 2);
    expect(replies.map((reply) => reply.type)).toEqual(['spawned', 'exit']);
    expect(messages.some((message) => (message as { id?: unknown }).id === 99)).toBe(false);
  });

  it('does not start a program whose cancel arrived while its files were being prepared', async () => {
    await waitFor(() => (messages.length > 0 ? true : undefined));
    // Stopped, the helper finds both messages at once when it resumes: the cancel is read
    // before the preparation, which takes a trip through the thread pool, is done.
    helper.kill('SIGSTOP');
    helper.send(startRequest(3, 'bash', ['-c', 'echo ran > ran.txt']));
    helper.send({ type: 'cancel', id: 3 });
    helper.kill('SIGCONT');
    expect(await repliesFor(3, 1)).toEqual([{ type: 'cancelled', id: 3 }]);
    expect(existsSync(join(dir, 'out', '3.stdout'))).toBe(true);
    expect(existsSync(join(dir, 'ws', 'ran.txt'))).toBe(false);
  });

  it('reports a program that cannot start with its errno', async () => {
    helper.send(startRequest(4, join(dir, 'missing'), []));
    const [reply] = await repliesFor(4, 1);
    expect(reply).toMatchObject({ type: 'start-error', id: 4, error: { code: 'ENOENT' } });
  });

  it('exits when baton goes away', async () => {
    await waitFor(() => (messages.length > 0 ? true : undefined));
    helper.disconnect();
    const [code] = (await once(helper, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
