// Errors of the data layer. Every problem with input data names the file (or directory) and the
// problem, and is raised when the file is opened, so that a bad dataset fails before training starts.
import { closest } from 'fastest-levenshtein';

export class WellFormatError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'WellFormatError';
  }
}

/** ` (did you mean 'x'?)` for the candidate closest to `name`, or '' when there is none. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const list = [...candidates];
  if (list.length === 0) return '';
  return ` (did you mean '${closest(name, list)}'?)`;
}

/** The error for an unknown name, with the closest known one suggested. */
export function unknownName(kind: string, name: string, candidates: Iterable<string>, where?: string): Error {
  const list = [...candidates];
  const known = list.length ? `; known: ${list.join(', ')}` : '';
  const message = `unknown ${kind} '${name}'${didYouMean(name, list)}${known}`;
  return where ? new WellFormatError(where, message) : new Error(message);
}
