import type { PromptExcerpt } from './prompts.js';
import type { FailureReason, JobOutcome, JobRunState, SheetMode, SheetState } from '../../machines/types.js';
import type { AttemptStatus } from '../../store/types.js';

/**
 * What a run report shows, computed from a checkpoint by `reportData` and drawn by
 * `renderReport`. Times are absolute milliseconds of the conductor's clock.
 */
export interface ReportModel {
  job: ReportJob;
  /** The time axis: from the job's creation to `now` (live) or its last recorded moment. */
  span: { start: number; end: number };
  summary: ReportSummary;
  timeline: ReportTimeline;
  graph: ReportGraph;
  /** Sheets that failed or wait at a fermata, with their last error (at most `maxProblems`). */
  problems: ReportProblem[];
  /** How many sheets failed or wait at a fermata in all. */
  problemCount: number;
  /** The prompt of each sheet's latest attempt that kept one (the first bytes of each). */
  prompts: PromptExcerpt[];
}

interface ReportJob {
  name: string;
  jobId: string;
  state: JobRunState;
  outcome: JobOutcome | null;
  pauseReasons: string[];
  budgetUsd: number | null;
  /** A conductor still held the job when the report was made. */
  live: boolean;
  generatedAt: number;
}

export interface InstrumentStats {
  instrument: string;
  model: string | null;
  /** Runs that used an attempt (not the rate-limited ones). */
  attempts: number;
  succeeded: number;
  failed: number;
  rateLimited: number;
  /** Runs cut short by a stop or a crash of the conductor (not attempts either). */
  interrupted: number;
  /** Runs killed when their sheet or job was cancelled. */
  cancelled: number;
  running: number;
  /** Sum of attempt durations (running ones up to the end of the span). */
  busyMs: number;
  costUsd: number;
}

export interface ReportSummary {
  sheets: number;
  /** Every state, zero included, from the sheet rows (as `baton status` counts them). */
  states: Record<SheetState, number>;
  /** Runs by status; `total` counts the attempts (every run but the rate-limited and interrupted ones). */
  attempts: Record<AttemptStatus, number> & { total: number };
  costUsd: number;
  durationMs: number;
  /** Time sheets spent in `waiting` for a rate limit, and at fermatas, summed over sheets. */
  waitingMs: number;
  fermataMs: number;
  instruments: InstrumentStats[];
}

export interface AttemptBar {
  number: number;
  start: number;
  end: number;
  /** Still running at the end of a live report's span. */
  open: boolean;
  status: AttemptStatus;
  mode: SheetMode;
  instrument: string;
  model: string | null;
  exitCode: number | null;
  error: string | null;
  reason: FailureReason | null;
  costUsd: number | null;
}

/** Time between attempts, from the sheet events: queued for a slot, backing off, rate-limited, held. */
export type SegmentKind = 'queued' | 'retry' | 'waiting' | 'fermata';

export interface Segment {
  kind: SegmentKind;
  start: number;
  end: number;
  /** Not left yet at the end of the span. */
  open: boolean;
  /** The deadline of a retry or a rate-limit wait. */
  until: number | null;
  detail: string | null;
}

export interface TimelineRow {
  id: string;
  state: SheetState;
  attempts: AttemptBar[];
  segments: Segment[];
  lastError: string | null;
}

interface ReportTimeline {
  /** The first `maxTimelineRows` sheets, in checkpoint order. */
  rows: TimelineRow[];
  /** Every sheet in the checkpoint. */
  total: number;
}

/** One box of the dependency graph: a sheet, or a whole fan-out collapsed into one. */
export interface GraphNode {
  key: string;
  kind: 'sheet' | 'group';
  /** A sheet's id, or the fan-out's id for a group. */
  label: string;
  /** The sheets it stands for (a group lists its members). */
  sheetIds: string[];
  /** Sheets per state. */
  states: Partial<Record<SheetState, number>>;
  /** 0-based column: the longest dependency path that leads to it. */
  layer: number;
  /** 0-based row within its layer. */
  order: number;
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface ReportGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  layers: number;
  /** Nodes the graph has before the cap: more than `nodes.length` when capped at `maxGraphNodes`. */
  totalNodes: number;
  /** Fan-outs drawn as one node. */
  collapsedGroups: number;
}

export interface ReportProblem {
  id: string;
  state: SheetState;
  reason: FailureReason | null;
  error: string | null;
}
