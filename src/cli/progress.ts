import type { Conductor } from '../runtime/conductor.js';
import type { BatonEvent } from '../runtime/events.js';
import { liveFrame, seconds, type RecentFailure } from './live-frame.js';

export interface ProgressOptions {
  conductor: Conductor;
  /** Read once the job is registered; progress subscribes before that so no event is missed. */
  jobId: () => string;
  out: NodeJS.WriteStream;
  /** Redraw a live block (TTY) or print one line per event. */
  live: boolean;
}

const MAX_FAILURES_SHOWN = 4;

export interface Progress {
  /** Resolves once the conductor's event stream completes (at its shutdown), after every queued event has been shown. */
  readonly finished: Promise<void>;
  /**
   * The live display draws its last frame now and never again, so that what is written
   * below it (the resume hint after Ctrl-C, the summary) stays on the screen instead of
   * being redrawn over. Line output goes on: it never overwrites anything.
   */
  stopRedrawing(): void;
}

/** Shows a run as it goes. */
export function showProgress(options: ProgressOptions): Progress {
  return options.live ? liveProgress(options) : { finished: lineProgress(options), stopRedrawing: () => undefined };
}

function lineProgress({ conductor, jobId, out }: ProgressOptions): Promise<void> {
  const started = Date.now();
  return new Promise((done) => {
    conductor.events$.subscribe({
      next: (event) => {
        if (!('jobId' in event) || event.jobId !== jobId()) return;
        const line = describe(event);
        if (line !== undefined) out.write(`[${seconds(Date.now() - started).padStart(7)}] ${line}\n`);
      },
      complete: () => done(),
    });
  });
}

function describe(event: BatonEvent): string | undefined {
  switch (event.type) {
    case 'sheet.dispatched':
      // The run names the output files; said when rate-limited or interrupted runs (or another mode) made it differ.
      return `${event.sheetId} started (attempt ${event.attempt}${event.run === event.attempt ? '' : `, run ${event.run}`}${event.mode === 'normal' ? '' : `, ${event.mode}`}, ${event.instrument}${event.model ? `/${event.model}` : ''})`;
    case 'sheet.completed':
      return `${event.sheetId} completed`;
    case 'sheet.retry':
      return `${event.sheetId} attempt ${event.attempt} failed (${event.error}); retry in ${seconds(event.delayMs)}`;
    case 'sheet.waiting':
      return `${event.sheetId} rate-limited; waiting`;
    case 'sheet.fallback':
      return `${event.sheetId} moves from ${event.from} to ${event.to} (${event.reason})`;
    case 'sheet.fermata':
      return `${event.sheetId} held at a fermata (${event.error})`;
    case 'sheet.failed':
      // Reason `failed` only repeats the word: `a failed: exited with status 3`, but `a failed (timeout: …)`.
      if (event.reason === 'failed') return `${event.sheetId} failed${event.error ? `: ${event.error}` : ''}`;
      return `${event.sheetId} failed (${event.reason}${event.error ? `: ${event.error}` : ''})`;
    case 'sheet.skipped':
      return `${event.sheetId} skipped (${event.reason})`;
    case 'job.paused':
      return `job paused (${event.reason})`;
    case 'job.held':
      return `job held: waiting for a decision on ${event.fermatas.join(', ')}`;
    default:
      return undefined;
  }
}

function liveProgress({ conductor, jobId, out }: ProgressOptions): Progress {
  const started = Date.now();
  let drawn = 0;
  let stopped = false;
  const attemptStartedAt = new Map<string, number>();
  let failures: RecentFailure[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  conductor.events$.subscribe({
    next: (event) => {
      if (!('jobId' in event) || event.jobId !== jobId()) return;
      if (event.type === 'sheet.dispatched') attemptStartedAt.set(event.sheetId, event.at);
      // A failure the sheet has since got past is no longer news.
      if (event.type === 'sheet.completed') failures = failures.filter((f) => f.sheetId !== event.sheetId);
      if (event.type === 'sheet.failed' || event.type === 'sheet.retry' || event.type === 'sheet.fermata') {
        const line = describe(event);
        if (line !== undefined) failures.push({ sheetId: event.sheetId, line });
        if (failures.length > MAX_FAILURES_SHOWN) failures.shift();
      }
    },
    complete: () => {
      stopRedrawing();
      finish();
    },
  });
  const draw = (): void => {
    if (stopped || jobId() === '') return;
    const lines = liveFrame({ status: conductor.status(jobId()), elapsedMs: Date.now() - started, attemptStartedAt, failures, columns: out.columns ?? 100 });
    let text = drawn > 0 ? `\x1b[${drawn}F` : '';
    for (const line of lines) text += `\x1b[2K${line}\n`;
    // Clear lines left over from a taller previous frame.
    for (let i = lines.length; i < drawn; i++) text += '\x1b[2K\n';
    if (drawn > lines.length) text += `\x1b[${drawn - lines.length}F`;
    out.write(text);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 200);
  const stopRedrawing = (): void => {
    clearInterval(timer);
    draw();
    stopped = true;
  };
  return { finished, stopRedrawing };
}
