import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { superviseProcess } from '../../src/actors/process/supervise.js';

/** A process started elsewhere: no pid until it reports its spawn, and a start that can be withdrawn. */
class LateStart extends EventEmitter {
  pid: number | undefined;
  cancels = 0;

  cancel(): void {
    this.cancels++;
  }

  /** Reports the spawn of `child` (a real process, leading its own group) as its own. */
  spawned(child: ChildProcess): void {
    this.pid = child.pid;
    child.once('exit', (code, signal) => this.emit('exit', code, signal));
    this.emit('spawn');
  }
}

const started: ChildProcess[] = [];

/** Starts `script` in its own group and resolves once it printed its first line (its traps are set). */
async function startGroup(script: string): Promise<ChildProcess> {
  const child = spawn('bash', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child);
  await once(child.stdout!, 'data');
  return child;
}

afterEach(() => {
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('supervising a process whose pid comes late', () => {
  it('withdraws the start when stopped before the spawn, and ends with the error that follows', async () => {
    const late = new LateStart();
    const controller = new AbortController();
    const supervised = superviseProcess(late, { killGraceMs: 1000, signal: controller.signal });
    controller.abort('cancelled');
    expect(late.cancels).toBe(1);
    late.emit('error', new Error('cancelled before it started'));
    expect(await supervised).toMatchObject({ end: { kind: 'error' }, stopReason: 'aborted (cancelled)' });
  });

  it('signals the group as soon as a start it could not withdraw reports its spawn, without calling onSpawn', async () => {
    const late = new LateStart();
    const controller = new AbortController();
    let onSpawnCalls = 0;
    const supervised = superviseProcess(late, {
      killGraceMs: 60_000,
      signal: controller.signal,
      onSpawn: () => onSpawnCalls++,
    });
    controller.abort('shutdown');
    const child = await startGroup('echo up; exec sleep 300');
    late.spawned(child);

    expect(await supervised).toEqual({ end: { kind: 'exit', code: null, signal: 'SIGTERM' }, stopReason: 'aborted (shutdown)' });
    expect(onSpawnCalls).toBe(0);
    expect(late.cancels).toBe(1);
  });

  it('escalates to SIGKILL after the grace when the late program ignores SIGTERM', async () => {
    const late = new LateStart();
    const controller = new AbortController();
    const supervised = superviseProcess(late, { killGraceMs: 50, signal: controller.signal });
    controller.abort('timeout');
    const child = await startGroup('trap "" TERM; echo up; while :; do sleep 0.05; done');
    late.spawned(child);

    expect(await supervised).toEqual({ end: { kind: 'exit', code: null, signal: 'SIGKILL' }, stopReason: 'aborted (timeout)' });
  });
});
