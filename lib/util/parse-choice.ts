// One of a fixed set of words typed by a user (a command-line flag), with an error that names the flag and the choices.

/** `text` if it is one of `choices`; else "--name must be a, b or c, got 'text'". */
export function parseChoice<T extends string>(name: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  const list = choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}` : String(choices[0]);
  throw new Error(`--${name} must be ${list}, got '${text}'`);
}

/** The checkpoint a command loads: the last one (state) or the best on validation (best). */
export const WEIGHTS = ['state', 'best'] as const;
export type Weights = (typeof WEIGHTS)[number];
