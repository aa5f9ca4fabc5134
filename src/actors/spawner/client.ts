import { fork, type ChildProcess } from 'node:child_process';
import { killGroupAndWait } from '../process/group.js';
import { errorInfo, isReadyMessage, isSpawnerReply, type SpawnerReply, type SpawnerRequest, type StartRequest } from './protocol.js';
import { RemoteChild } from './remote-child.js';

/** What one attempt asks of the helper. */
export type StartSpec = Omit<StartRequest, 'type' | 'id'>;

/** How to run the helper program: its file and the Node options it needs. */
export interface HelperProgram {
  path: string;
  execArgv: string[];
}

interface Helper {
  process: ChildProcess;
  inFlight: number;
  /** It said `ready`: from then on, its death may have cut short attempts it had started. */
  ready: boolean;
  /** Who waits for it to be ready (or gone). */
  readyWaiters: (() => void)[];
}

interface InFlight {
  child: RemoteChild;
  helper: Helper;
  groupExitWaitMs: number;
}

/**
 * baton's side of one spawner helper: forks it on first use and again after it died, numbers
 * the requests and routes the replies to each attempt's {@link RemoteChild}.
 *
 * The helper keeps baton's event loop alive only while it has attempts in flight, so that a
 * program whose work is done exits on its own. A helper that dies before it is ready (its
 * file missing from a bundle, Node options it cannot start with) is not forked again: its
 * attempts, and every later one, start in baton's own process instead.
 */
export class SpawnerClient {
  private helper: Helper | undefined;
  private readonly attempts = new Map<number, InFlight>();
  private nextId = 1;
  private unusable = false;

  constructor(private readonly program: HelperProgram) {}

  get inFlight(): number {
    return this.attempts.size;
  }

  /**
   * Sends one attempt to the helper; undefined when no helper could be forked. The request
   * leaves in a microtask, so that a stop in the same turn of the event loop (a shutdown as
   * the attempt is dispatched) withdraws it here, before the helper did any of it.
   */
  start(spec: StartSpec): RemoteChild | undefined {
    if (this.unusable) return undefined;
    const helper = this.helper?.process.connected === true ? this.helper : this.fork();
    if (helper === undefined) return undefined;
    const id = this.nextId++;
    let sent = false;
    const child = new RemoteChild(() => (sent ? send(helper, { type: 'cancel', id }) : this.withdraw(id)));
    const attempt: InFlight = { child, helper, groupExitWaitMs: spec.groupExitWaitMs };
    this.attempts.set(id, attempt);
    if (++helper.inFlight === 1) keepAlive(helper.process, true);
    queueMicrotask(() => {
      if (this.attempts.get(id) !== attempt) return;
      sent = true;
      try {
        send(helper, { type: 'start', id, ...spec });
      } catch (err) {
        // A request the channel cannot carry: what `spawn` does with arguments it cannot take.
        this.settle(id, attempt);
        child.failed({ kind: 'spawn-threw', error: errorInfo(err) });
      }
    });
    return child;
  }

  /**
   * Forks the helper now, if it is not running, and resolves once it is ready to start
   * attempts (or could not start: attempts then run in-process). Never rejects. With
   * `hold`, the helper keeps baton's event loop alive until then, so that the promise can
   * be awaited; without, a program with nothing else to do still exits at once.
   */
  warm(hold: boolean): Promise<void> {
    if (this.unusable) return Promise.resolve();
    const helper = this.helper?.process.connected === true ? this.helper : this.fork();
    if (helper === undefined || helper.ready) return Promise.resolve();
    if (hold) keepAlive(helper.process, true);
    return new Promise((resolve) =>
      helper.readyWaiters.push(() => {
        if (hold && helper.inFlight === 0) keepAlive(helper.process, false);
        resolve();
      }),
    );
  }

  private withdraw(id: number): void {
    const attempt = this.attempts.get(id);
    if (attempt === undefined) return;
    this.settle(id, attempt);
    // Not from within the caller's stop: the handle ends as if the helper had answered.
    process.nextTick(() => attempt.child.failed({ kind: 'cancelled', filesCreated: false }));
  }

  private fork(): Helper | undefined {
    let helperProcess: ChildProcess;
    try {
      helperProcess = fork(this.program.path, [], {
        execArgv: this.program.execArgv,
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        // Out of baton's process group: a Ctrl-C at the terminal is baton's to handle (it
        // stops attempts gracefully), and must not take the helper down with it.
        detached: true,
      });
    } catch {
      return undefined;
    }
    if (helperProcess.pid === undefined) {
      // Out of processes or memory: the 'error' that follows has nothing left to tell.
      helperProcess.on('error', () => {});
      return undefined;
    }
    const helper: Helper = { process: helperProcess, inFlight: 0, ready: false, readyWaiters: [] };
    helperProcess.on('message', (message: unknown) => {
      if (isSpawnerReply(message)) this.onReply(message);
      else if (isReadyMessage(message)) {
        helper.ready = true;
        wakeAll(helper);
      }
    });
    // A send to a helper that is going away fails here; its 'close' then ends what it held.
    helperProcess.on('error', () => {});
    // 'close' rather than 'exit': it comes after the channel closed, so every reply has arrived.
    helperProcess.once('close', (code, signal) => this.onClose(helper, code, signal));
    keepAlive(helperProcess, false);
    this.helper = helper;
    return helper;
  }

  private onReply(message: SpawnerReply): void {
    const attempt = this.attempts.get(message.id);
    if (attempt === undefined) return;
    if (message.type === 'spawned') {
      attempt.child.spawned(message.pid);
      return;
    }
    this.settle(message.id, attempt);
    switch (message.type) {
      case 'exit':
        attempt.child.exited(message.code, message.signal, {
          stdoutTail: message.stdoutTail,
          stderrTail: message.stderrTail,
          findings: message.findings,
        });
        break;
      case 'start-error':
        attempt.child.startFailed(message.error);
        break;
      case 'prepare-failed':
      case 'spawn-threw':
        attempt.child.failed({ kind: message.type, error: message.error });
        break;
      case 'cancelled':
        // The helper looks for a cancel once the files are open, just before the spawn.
        attempt.child.failed({ kind: 'cancelled', filesCreated: true });
        break;
    }
  }

  private settle(id: number, attempt: InFlight): void {
    this.attempts.delete(id);
    if (--attempt.helper.inFlight === 0) keepAlive(attempt.helper.process, false);
  }

  /**
   * The helper died (killed, out of memory): its attempts end as ordinary failures, which
   * another try may not meet, and what they had started is killed from here; the next
   * attempt forks a new helper. One that died before it was ready had started nothing: its
   * attempts are handed back to start in baton's process.
   */
  private onClose(helper: Helper, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.helper === helper) this.helper = undefined;
    if (!helper.ready) this.unusable = true;
    wakeAll(helper);
    const why = `spawner helper exited (${code !== null ? `code ${code}` : `signal ${signal ?? 'unknown'}`})`;
    for (const [id, attempt] of this.attempts) {
      if (attempt.helper !== helper) continue;
      this.attempts.delete(id);
      if (helper.ready) void lose(attempt, why);
      else attempt.child.failed({ kind: 'helper-unavailable' });
    }
    helper.inFlight = 0;
  }
}

async function lose({ child, groupExitWaitMs }: InFlight, why: string): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) {
    child.failed({ kind: 'helper-lost', message: `${why} before it reported the start of the attempt` });
    return;
  }
  await killGroupAndWait(pid, groupExitWaitMs);
  child.failed({ kind: 'helper-lost', message: `${why} while the attempt ran; its process group was killed` });
}

function wakeAll(helper: Helper): void {
  const waiters = helper.readyWaiters;
  helper.readyWaiters = [];
  for (const wake of waiters) wake();
}

function send(helper: Helper, request: SpawnerRequest): void {
  if (helper.process.connected) helper.process.send(request);
}

/** Whether the helper's process and channel keep baton's event loop alive. */
function keepAlive(helperProcess: ChildProcess, keep: boolean): void {
  if (keep) {
    helperProcess.ref();
    helperProcess.channel?.ref();
  } else {
    helperProcess.unref();
    helperProcess.channel?.unref();
  }
}
