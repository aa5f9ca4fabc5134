export { reportData, type ReportContents, type ReportOptions } from './report-data.js';
export { renderReport } from './render.js';
export type { ReportModel } from './model.js';
