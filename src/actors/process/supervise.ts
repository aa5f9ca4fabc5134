import { abortedMessage } from '../abort-reason.js';
import { signalGroup } from './group.js';
import { errorMessage } from '../../util/error-message.js';

export type ProcessEnd =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'error'; error: NodeJS.ErrnoException };

export interface Supervised {
  end: ProcessEnd;
  /** Set when baton stopped the process (abort, timeout, a throwing hook): the failure's text. */
  stopReason: string | undefined;
}

/**
 * What `superviseProcess` needs of a process: a `ChildProcess`, or a handle to a program that
 * another process (a spawner helper) starts, whose pid is known only from its 'spawn' on.
 */
export interface SupervisedProcess {
  readonly pid?: number | undefined;
  once(event: 'spawn', listener: () => void): unknown;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
  /**
   * Withdraws a start that has not happened yet; the handle then ends with 'error', or with
   * 'spawn' when the start could not be withdrawn any more.
   */
  cancel?(): void;
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
 * period if the leader is still alive. Stopped before its pid is known, it is cancelled, and
 * signalled as soon as it reports its spawn if it started all the same.
 */
export function superviseProcess(child: SupervisedProcess, options: SuperviseOptions): Promise<Supervised> {
  const { signal } = options;
  return new Promise<Supervised>((resolve) => {
    let spawned = false;
    let stopReason: string | undefined;
    let signalled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const signalStop = (pid: number): void => {
      signalled = true;
      signalGroup(pid, 'SIGTERM');
      graceTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), options.killGraceMs);
    };
    const stop = (reason: string): void => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      const pid = child.pid;
      // No pid: a local spawn that failed (its 'error' ends the wait), or a remote start not
      // carried out yet, which 'spawn' or 'error' will settle.
      if (pid !== undefined) signalStop(pid);
      else child.cancel?.();
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
      if (stopReason !== undefined) {
        if (!signalled && child.pid !== undefined) signalStop(child.pid);
        return;
      }
      if (options.onSpawn === undefined) return;
      try {
        options.onSpawn();
      } catch (err) {
        stop(`onStarted hook failed: ${errorMessage(err)}`);
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
