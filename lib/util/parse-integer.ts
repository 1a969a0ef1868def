// Integers typed by users (command-line flags, key=value overrides), with errors that name the flag.

/** `text` as an integer ≥ `min` (default: any integer); `name` is the flag, e.g. 'steps' → "--steps must be …". */
export function parseInteger(name: string, text: string, min?: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || (min !== undefined && n < min)) {
    const what = min === undefined ? 'an integer' : min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    throw new Error(`--${name} must be ${what}, got '${text}'`);
  }
  return n;
}
