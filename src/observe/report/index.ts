export { reportData, type ReportContents, type ReportOptions } from './report-data.js';
export { renderReport } from './render.js';
export type {
  AttemptBar,
  GraphEdge,
  GraphNode,
  InstrumentStats,
  ReportGraph,
  ReportJob,
  ReportModel,
  ReportProblem,
  ReportSummary,
  ReportTimeline,
  Segment,
  SegmentKind,
  TimelineRow,
} from './model.js';
