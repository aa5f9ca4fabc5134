import { SHEET_STATES, type SheetState } from '../../machines/types.js';
import type { Score } from '../../score/types.js';
import type { AttemptRow, AttemptStatus, JobRow, SheetEventRow, SheetRow } from '../../store/types.js';
import { dependencyGraph } from './graph-layout.js';
import type { PromptExcerpt } from './prompts.js';
import type { AttemptBar, InstrumentStats, ReportModel, ReportProblem, ReportSummary, Segment, SegmentKind } from './model.js';

/** The rows of a checkpoint a report is made from (`store.loadAll({ events: true })`). */
export interface ReportContents {
  job: JobRow;
  sheets: readonly SheetRow[];
  attempts: readonly AttemptRow[];
  /** Empty for a checkpoint written before schema v5: the timeline then shows attempts only. */
  events: readonly SheetEventRow[];
  /** The attempts' prompts, read from their files by the caller (`readPrompts`). @default none */
  prompts?: readonly PromptExcerpt[];
}

export interface ReportOptions {
  /** When the report is made (the conductor's clock: wall time for `baton run`). */
  now: number;
  /**
   * A conductor still runs the job: what is open (running attempts, waits) ends at `now`.
   * Otherwise it ends at the last moment the checkpoint recorded.
   * @default false
   */
  live?: boolean;
  /** Sheets drawn on the timeline; the summary always covers every sheet. @default 1000 */
  maxTimelineRows?: number;
  /** Fan-outs up to this size are drawn member by member in the graph. @default 12 */
  expandFanOutUpTo?: number;
  /** Nodes drawn in the graph at most. @default 1500 */
  maxGraphNodes?: number;
  /** Failed and held sheets listed with their errors at most. @default 200 */
  maxProblems?: number;
}

const SEGMENT_OF: Partial<Record<SheetState, SegmentKind>> = {
  ready: 'queued',
  completion: 'queued',
  retry: 'retry',
  waiting: 'waiting',
  fermata: 'fermata',
};

/**
 * Everything the report shows, from a checkpoint's rows and the score: a pure function
 * (the caller reads the store and the clock), linear in the number of rows.
 */
export function reportData(contents: ReportContents, score: Score, options: ReportOptions): ReportModel {
  const { job, sheets, attempts, events } = contents;
  const live = options.live ?? false;
  const start = Math.min(job.createdAt, earliest(attempts, events));
  const recorded = lastRecorded(contents);
  const end = Math.max(start, live ? Math.max(options.now, recorded) : recorded);

  // No conductor holds the job: what the checkpoint still calls running was cut short
  // when its conductor died, at the latest at its last write.
  const runs = live ? attempts : attempts.map((a) => (a.status === 'running' ? cutShort(a, recorded) : a));
  const attemptsOf = groupBy(runs, (a) => a.sheetId);
  const eventsOf = groupBy(events, (e) => e.sheetId);
  const segmentsOf = (id: string) => segments(eventsOf.get(id) ?? [], end);

  let waitingMs = 0;
  let fermataMs = 0;
  for (const [id] of eventsOf) {
    for (const segment of segmentsOf(id)) {
      if (segment.kind === 'waiting') waitingMs += segment.end - segment.start;
      if (segment.kind === 'fermata') fermataMs += segment.end - segment.start;
    }
  }

  const rows = sheets.slice(0, options.maxTimelineRows ?? 1000).map((sheet) => ({
    id: sheet.id,
    state: sheet.state,
    attempts: (attemptsOf.get(sheet.id) ?? []).map((a) => bar(a, end)),
    segments: segmentsOf(sheet.id),
    lastError: sheet.lastError,
  }));

  const stateById = new Map(sheets.map((s) => [s.id, s.state]));
  const graph = dependencyGraph(score, (id) => stateById.get(id), {
    expandFanOutUpTo: options.expandFanOutUpTo ?? 12,
    maxGraphNodes: options.maxGraphNodes ?? 1500,
  });

  const problems: ReportProblem[] = [];
  let problemCount = 0;
  for (const sheet of sheets) {
    const held = sheet.state === 'fermata';
    const failed = sheet.state === 'failed' && sheet.reason !== 'dependency';
    if (!held && !failed) continue;
    problemCount++;
    if (problems.length < (options.maxProblems ?? 200)) {
      problems.push({ id: sheet.id, state: sheet.state, reason: sheet.reason, error: sheet.lastError });
    }
  }

  return {
    job: {
      name: job.name,
      jobId: job.jobId,
      state: job.state,
      outcome: job.outcome,
      pauseReasons: job.pauseReasons,
      budgetUsd: job.budgetUsd,
      live,
      generatedAt: options.now,
    },
    span: { start, end },
    summary: summary(sheets, runs, end, start, waitingMs, fermataMs),
    timeline: { rows, total: sheets.length },
    graph,
    problems,
    problemCount,
    prompts: [...(contents.prompts ?? [])],
  };
}

/** An attempt its dead conductor left `running`, as the next resume will record it. */
function cutShort(a: AttemptRow, lastWrite: number): AttemptRow {
  return {
    ...a,
    status: 'interrupted',
    endedAt: Math.max(a.startedAt, lastWrite),
    error: `interrupted: baton is not running and recorded no end for it (its last checkpoint write was at ${new Date(lastWrite).toISOString()})`,
  };
}

function bar(a: AttemptRow, end: number): AttemptBar {
  return {
    number: a.number,
    start: a.startedAt,
    end: a.endedAt ?? Math.max(a.startedAt, end),
    open: a.endedAt === null,
    status: a.status,
    mode: a.mode,
    instrument: a.instrument,
    model: a.model,
    exitCode: a.exitCode,
    error: a.error,
    reason: a.reason,
    costUsd: a.costUsd,
  };
}

/** A sheet's stays between attempts: each event opens a stay that the next one closes. */
function segments(events: readonly SheetEventRow[], end: number): Segment[] {
  const out: Segment[] = [];
  events.forEach((event, i) => {
    const kind = SEGMENT_OF[event.state];
    if (kind === undefined) return;
    const next = events[i + 1];
    const until = next?.at ?? Math.max(event.at, end);
    if (until <= event.at && next !== undefined) return;
    out.push({ kind, start: event.at, end: until, open: next === undefined, until: event.until, detail: event.detail });
  });
  return out;
}

function summary(
  sheets: readonly SheetRow[],
  attempts: readonly AttemptRow[],
  end: number,
  start: number,
  waitingMs: number,
  fermataMs: number,
): ReportSummary {
  const states = Object.fromEntries(SHEET_STATES.map((s) => [s, 0])) as Record<SheetState, number>;
  let costUsd = 0;
  for (const sheet of sheets) {
    states[sheet.state]++;
    costUsd += sheet.costUsd;
  }
  const counts: Record<AttemptStatus, number> & { total: number } = {
    total: 0,
    running: 0,
    success: 0,
    failure: 0,
    rate_limited: 0,
    interrupted: 0,
    cancelled: 0,
  };
  const byInstrument = new Map<string, InstrumentStats>();
  for (const a of attempts) {
    // Rate-limited and interrupted runs used none of the sheet's attempts: counted apart, as `baton status` does.
    const attempt = a.status !== 'rate_limited' && a.status !== 'interrupted';
    if (attempt) counts.total++;
    counts[a.status]++;
    const key = `${a.instrument}\n${a.model ?? ''}`;
    let stats = byInstrument.get(key);
    if (stats === undefined) {
      stats = {
        instrument: a.instrument,
        model: a.model,
        attempts: 0,
        succeeded: 0,
        failed: 0,
        rateLimited: 0,
        interrupted: 0,
        cancelled: 0,
        running: 0,
        busyMs: 0,
        costUsd: 0,
      };
      byInstrument.set(key, stats);
    }
    if (attempt) stats.attempts++;
    if (a.status === 'success') stats.succeeded++;
    else if (a.status === 'failure') stats.failed++;
    else if (a.status === 'rate_limited') stats.rateLimited++;
    else if (a.status === 'interrupted') stats.interrupted++;
    else if (a.status === 'cancelled') stats.cancelled++;
    else stats.running++;
    stats.busyMs += Math.max(0, (a.endedAt ?? end) - a.startedAt);
    stats.costUsd += a.costUsd ?? 0;
  }
  const instruments = [...byInstrument.values()].sort(
    (x, y) => x.instrument.localeCompare(y.instrument) || (x.model ?? '').localeCompare(y.model ?? ''),
  );
  return { sheets: sheets.length, states, attempts: counts, costUsd, durationMs: end - start, waitingMs, fermataMs, instruments };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [item]);
    else list.push(item);
  }
  return groups;
}

/** The earliest attempt start or event (a loop, not a spread: a big job has 100,000s of rows). */
function earliest(attempts: readonly AttemptRow[], events: readonly SheetEventRow[]): number {
  let first = Infinity;
  for (const a of attempts) first = Math.min(first, a.startedAt);
  for (const e of events) first = Math.min(first, e.at);
  return first;
}

function lastRecorded({ job, sheets, attempts, events }: ReportContents): number {
  let last = Math.max(job.createdAt, job.updatedAt);
  for (const s of sheets) last = Math.max(last, s.updatedAt, s.endedAt ?? 0);
  for (const a of attempts) last = Math.max(last, a.startedAt, a.endedAt ?? 0);
  for (const e of events) last = Math.max(last, e.at);
  return last;
}
