// writeReport: evaluation (or run) directories in, one self-contained HTML file out, written atomically.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { renderReport } from './document.js';
import { resolveEvalDirs } from './inputs.js';
import { loadModel } from './model.js';

export interface ReportOptions {
  /** Page title; by default "Emulator evaluation: <datasets>". */
  title?: string;
}

export interface ReportResult {
  /** Absolute path of the written report. */
  out: string;
  /** Number of evaluations compared. */
  runs: number;
}

/**
 * Writes one self-contained HTML report (inline CSS, SVG and script; no external resource) comparing the
 * evaluations named by `inputs`: evaluation directories holding summary.json, or run directories whose
 * evaluations are eval/<name>/summary.json. The file appears at `out` complete or not at all.
 */
export async function writeReport(inputs: string[], out: string, options: ReportOptions = {}): Promise<ReportResult> {
  const model = loadModel(resolveEvalDirs(inputs));
  const html = renderReport(model, options.title);
  const path = resolve(out);
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, html);
  return { out: path, runs: model.runs.length };
}
