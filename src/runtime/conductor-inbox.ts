import type { MusicianReport } from './attempts/launch.js';
import type { AttemptReports } from './attempts/reports.js';
import type { Job } from './model/job.js';
import type { SheetDriver, TimerFiring } from './sheets/sheet-driver.js';

/** What goes through a conductor's inbox, handled in order, one turn at a time. */
export type InboxEvent =
  | MusicianReport
  | TimerFiring
  /** Plan again (a pacing gap passed, a gate changed). */
  | { kind: 'wake'; job?: Job }
  /** Work that must happen inside a turn, posted from a timer or a callback. */
  | { kind: 'call'; work: () => void };

/** What handling an inbox event may touch. */
export interface InboxHandlers {
  readonly sheets: SheetDriver;
  readonly reports: AttemptReports;
  /** Something changed that may let more sheets be dispatched. */
  planAgain(): void;
}

/** Handles one inbox event: a wake-up, posted work, a sheet's timer, or a musician's report. */
export function handleInboxEvent(event: InboxEvent, { sheets, reports, planAgain }: InboxHandlers): void {
  if (event.kind === 'wake') {
    if (event.job) event.job.pacingTimer = undefined;
    planAgain();
    return;
  }
  if (event.kind === 'call') {
    event.work();
    return;
  }
  if (event.kind === 'timer') {
    const { job, record } = event;
    // A timer replaced or cleared since it was set says nothing any more.
    if (record.timer === event.timer) {
      record.timer = undefined;
      sheets.send(job, record, event.event);
    }
    return;
  }
  reports.handle(event);
}
