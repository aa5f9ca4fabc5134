import type { Conductor } from '../runtime/conductor.js';
import type { BatonEvent } from '../runtime/events.js';
import type { SheetState } from '../machines/types.js';

export interface ProgressOptions {
  conductor: Conductor;
  /** Read once the job is registered; progress subscribes before that so no event is missed. */
  jobId: () => string;
  out: NodeJS.WriteStream;
  /** Redraw a live block (TTY) or print one line per event. */
  live: boolean;
}

const SHOWN_STATES: SheetState[] = ['pending', 'ready', 'running', 'retry', 'waiting', 'completion', 'fermata', 'completed', 'failed', 'skipped', 'cancelled'];
const MAX_RUNNING_SHOWN = 8;

/**
 * Shows a run as it goes. Resolves once the conductor's event stream completes (at its
 * shutdown), after every queued event has been shown.
 */
export function showProgress(options: ProgressOptions): Promise<void> {
  return options.live ? liveProgress(options) : lineProgress(options);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
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

function liveProgress({ conductor, jobId, out }: ProgressOptions): Promise<void> {
  const started = Date.now();
  let drawn = 0;
  const recent: string[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  conductor.events$.subscribe({
    next: (event) => {
      if (!('jobId' in event) || event.jobId !== jobId()) return;
      if (event.type === 'sheet.failed' || event.type === 'sheet.retry' || event.type === 'sheet.fermata') {
        const line = describe(event);
        if (line !== undefined) recent.push(line);
        if (recent.length > 4) recent.shift();
      }
    },
    complete: () => {
      clearInterval(timer);
      draw();
      finish();
    },
  });
  const draw = (): void => {
    if (jobId() === '') return;
    const status = conductor.status(jobId());
    const counts = SHOWN_STATES.filter((s) => status.counts[s] > 0)
      .map((s) => `${s} ${status.counts[s]}`)
      .join(' · ');
    const running = status.sheets.filter((s) => s.state === 'running' || s.state === 'dispatched');
    const lines = [
      `${status.name}  ${seconds(Date.now() - started)}  ${counts}`,
      ...running.slice(0, MAX_RUNNING_SHOWN).map((s) => `  ▸ ${s.id} (attempt ${s.attempts}${s.rateLimited > 0 ? `, rate-limited ${s.rateLimited}` : ''}, ${seconds(s.durationMs ?? 0)})`),
      ...(running.length > MAX_RUNNING_SHOWN ? [`  … and ${running.length - MAX_RUNNING_SHOWN} more running`] : []),
      ...recent.map((line) => `  ! ${line}`),
    ];
    const width = out.columns ?? 100;
    let text = drawn > 0 ? `\x1b[${drawn}F` : '';
    for (const line of lines) text += `\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}\n`;
    // Clear lines left over from a taller previous frame.
    for (let i = lines.length; i < drawn; i++) text += '\x1b[2K\n';
    if (drawn > lines.length) text += `\x1b[${drawn - lines.length}F`;
    out.write(text);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 200);
  return finished;
}
