// The evaluation report: one self-contained HTML file comparing evaluations (see write-report.ts).
export { writeReport, type ReportOptions, type ReportResult } from './write-report.js';
export { resolveEvalDirs } from './inputs.js';
export { readAnimation, readSummary, EVAL_FORMAT, type EvalAnimation, type EvalSummary } from './summary.js';
