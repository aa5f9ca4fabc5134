import { SHEET_STATES } from '../machines/types.js';
import type { JobStatus, SheetStatus } from '../runtime/status.js';

/** A failure line of the live display, kept while its sheet has not completed since. */
export interface RecentFailure {
  sheetId: string;
  line: string;
}

export interface FrameInput {
  status: JobStatus;
  /** Real time since the run began, for the header. */
  elapsedMs: number;
  /** Conductor clock of each sheet's latest dispatch: a retried sheet is timed from its current attempt. */
  attemptStartedAt: ReadonlyMap<string, number>;
  failures: readonly RecentFailure[];
  /** Terminal width: longer lines are cut, since a wrapped line would break the redraw. */
  columns: number;
}

const MAX_RUNNING_SHOWN = 8;

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The lines of one frame of the live display: counts per state, the running sheets, the latest failures. */
export function liveFrame({ status, elapsedMs, attemptStartedAt, failures, columns }: FrameInput): string[] {
  // Every state, so that the counts add up to the job's sheets.
  const counts = SHEET_STATES.filter((s) => status.counts[s] > 0)
    .map((s) => `${s} ${status.counts[s]}`)
    .join(' · ');
  const running = status.sheets.filter((s) => s.state === 'running' || s.state === 'dispatched');
  const lines = [
    `${status.name}  ${seconds(elapsedMs)}  ${counts}`,
    ...running
      .slice(0, MAX_RUNNING_SHOWN)
      .map((s) => `  ▸ ${s.id} (attempt ${s.attempts}${s.rateLimited > 0 ? `, rate-limited ${s.rateLimited}` : ''}, ${seconds(attemptMs(s, attemptStartedAt.get(s.id)))})`),
    ...(running.length > MAX_RUNNING_SHOWN ? [`  … and ${running.length - MAX_RUNNING_SHOWN} more running`] : []),
    ...failures.map((f) => `  ! ${f.line}`),
  ];
  return lines.map((line) => (line.length > columns ? `${line.slice(0, columns - 1)}…` : line));
}

/** How long the sheet's current attempt has run, on the conductor clock the status was taken on. */
function attemptMs(sheet: SheetStatus, attemptAt: number | undefined): number {
  const sinceFirst = sheet.durationMs ?? 0;
  if (attemptAt === undefined || sheet.startedAt === undefined) return sinceFirst;
  return Math.max(0, sinceFirst - (attemptAt - sheet.startedAt));
}
