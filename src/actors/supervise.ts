import type { ChildProcess } from 'node:child_process';
import { abortedMessage } from './abort-reason.js';
import { signalGroup } from './process-group.js';

export type ProcessEnd =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'error'; error: NodeJS.ErrnoException };

export interface Supervised {
  end: ProcessEnd;
  /** Set when baton stopped the process (abort, timeout, a throwing hook): the failure's text. */
  stopReason: string | undefined;
}

export interface SuperviseOptions {
  /** Time between SIGTERM and SIGKILL to the group. */
  killGraceMs: number;
  signal?: AbortSignal;
  /** Stops the process after this long. */
  timeoutMs?: number;
  /** Called once the process spawned; if it throws, the process is stopped with that reason. */
  onSpawn?: () => void;
}

/**
 * Waits for a child started in its own process group to end. When baton stops it (abort,
 * timeout, a throwing hook), SIGTERM goes to the whole group, then SIGKILL after the grace
 * period if the leader is still alive.
 */
export function superviseProcess(child: ChildProcess, options: SuperviseOptions): Promise<Supervised> {
  const { signal } = options;
  return new Promise<Supervised>((resolve) => {
    let spawned = false;
    let stopReason: string | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const stop = (reason: string): void => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      const pid = child.pid;
      if (pid === undefined) return; // never started: the 'error' event ends the wait
      signalGroup(pid, 'SIGTERM');
      graceTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), options.killGraceMs);
    };
    const onAbort = (): void => stop(abortedMessage(signal?.reason));
    const timeoutTimer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => stop(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
    const finish = (end: ProcessEnd): void => {
      signal?.removeEventListener('abort', onAbort);
      if (timeoutTimer !== undefined) clearTimeout(timeoutTimer);
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      resolve({ end, stopReason });
    };

    child.once('spawn', () => {
      spawned = true;
      if (stopReason !== undefined || options.onSpawn === undefined) return;
      try {
        options.onSpawn();
      } catch (err) {
        stop(`onStarted hook failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // After a successful spawn, errors (e.g. from signalling) are followed by 'exit'.
      if (!spawned) finish({ kind: 'error', error });
    });
    child.once('exit', (code, exitSignal) => finish({ kind: 'exit', code, signal: exitSignal }));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
}
