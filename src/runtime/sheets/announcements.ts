import type { SheetContext } from '../../machines/sheet.js';
import type { BatonEvent } from '../events.js';
import type { Job } from '../model/job.js';
import type { SheetRecord } from '../model/sheet-record.js';

/** The bus event for a sheet that just reached a terminal state. */
export function endEvent(job: Job, record: SheetRecord, at: number): BatonEvent | undefined {
  const base = { jobId: job.jobId, sheetId: record.id, at };
  switch (record.state) {
    case 'completed':
      return {
        ...base,
        type: 'sheet.completed',
        attempts: record.attemptsRun,
        rateLimited: record.rateLimited,
        ...(record.costUsd > 0 ? { costUsd: record.costUsd } : {}),
      };
    case 'failed':
      return { ...base, type: 'sheet.failed', reason: record.reason ?? 'failed', error: record.lastError ?? '' };
    case 'skipped':
      return { ...base, type: 'sheet.skipped', reason: record.reason ?? 'dependency' };
    case 'cancelled':
      return { ...base, type: 'sheet.cancelled' };
    default:
      return undefined;
  }
}

/** The bus event for a sheet that entered a non-terminal state worth telling about. */
export function stateEvent(
  job: Job,
  record: SheetRecord,
  context: SheetContext,
  at: number,
  fromInstrument: string | undefined,
): BatonEvent | undefined {
  const base = { jobId: job.jobId, sheetId: record.id, at };
  const reason = context.reason ?? 'failed';
  const error = context.lastError ?? '';
  switch (record.state) {
    case 'ready':
      if (fromInstrument === undefined) return undefined;
      return { ...base, type: 'sheet.fallback', from: fromInstrument, to: job.instrumentOf(record).name, reason, error };
    case 'completion':
      return { ...base, type: 'sheet.partial', passRate: record.passRate, attempt: context.completionUsed };
    case 'retry':
      return {
        ...base,
        type: 'sheet.retry',
        attempt: context.attempts,
        reason,
        error,
        delayMs: Math.max(0, (context.retryAt ?? at) - at),
        mode: context.mode,
      };
    case 'waiting':
      return { ...base, type: 'sheet.waiting', untilMs: context.waitUntil ?? at };
    case 'fermata':
      return { ...base, type: 'sheet.fermata', reason, error };
    default:
      return undefined;
  }
}
