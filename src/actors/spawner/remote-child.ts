import { EventEmitter } from 'node:events';
import type { OutputFindings } from '../process/output-scan.js';
import type { EndedOutput } from './attempt-process.js';
import { errnoException, type ErrorInfo } from './protocol.js';

/** How an attempt started through a helper ended, when not by its program's own start error or exit. */
export type RemoteFailure =
  | { kind: 'prepare-failed'; error: ErrorInfo }
  | { kind: 'spawn-threw'; error: ErrorInfo }
  /** Stopped before the spawn; `filesCreated`: the helper had opened the output files. */
  | { kind: 'cancelled'; filesCreated: boolean }
  | { kind: 'helper-lost'; message: string }
  /** The helper died before it was ready: nothing of the attempt was done, it may start elsewhere. */
  | { kind: 'helper-unavailable' };

const NO_FINDINGS: OutputFindings = Object.freeze({});

/**
 * A program started by a spawner helper, seen from baton: enough of a `ChildProcess` for
 * `superviseProcess` ('spawn', 'error' before a spawn, 'exit'; `pid` once spawned), plus what
 * the helper collected. It ends like a ChildProcess does: with 'error' when nothing ran, with
 * 'exit' otherwise; `failure` then tells an ending that was not the program's own.
 *
 * Its 'exit' comes after the helper made sure nothing of the process group is left, read the
 * tails and scanned the output, so `output` is final when it fires.
 */
export class RemoteChild extends EventEmitter {
  /** Known once the helper reports the spawn: a real pid, which leads its own process group. */
  pid: number | undefined;
  /** What the helper read of the output after the exit. */
  output: EndedOutput = { stdoutTail: '', stderrTail: '', findings: NO_FINDINGS };
  failure: RemoteFailure | undefined;
  private state: 'starting' | 'cancelling' | 'running' | 'ended' = 'starting';

  constructor(private readonly requestCancel: () => void) {
    super();
  }

  /** Withdraws the start if the helper has not carried it out; a program already running is baton's to signal. */
  cancel(): void {
    if (this.state !== 'starting') return;
    this.state = 'cancelling';
    this.requestCancel();
  }

  spawned(pid: number): void {
    if (this.state === 'ended' || this.state === 'running') return;
    this.pid = pid;
    this.state = 'running';
    this.emit('spawn');
  }

  exited(code: number | null, signal: NodeJS.Signals | null, output: EndedOutput): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.output = output;
    this.emit('exit', code, signal);
  }

  /** The program could not be started: the same error its spawn would have raised in baton. */
  startFailed(error: ErrorInfo): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.emit('error', errnoException(error));
  }

  failed(failure: RemoteFailure): void {
    if (this.state === 'ended') return;
    const ran = this.state === 'running';
    this.state = 'ended';
    this.failure = failure;
    if (ran) this.emit('exit', null, null);
    else this.emit('error', new Error(failureText(failure)));
  }
}

function failureText(failure: RemoteFailure): string {
  switch (failure.kind) {
    case 'prepare-failed':
    case 'spawn-threw':
      return failure.error.message;
    case 'cancelled':
      return 'cancelled before it started';
    case 'helper-lost':
      return failure.message;
    case 'helper-unavailable':
      return 'spawner helper unavailable';
  }
}
