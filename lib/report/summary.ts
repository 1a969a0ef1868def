// The evaluation directory contract as read by the report: `summary.json` (format latent-emulator-eval/1)
// and the optional `animation.json`. Parsing is lenient where the contract allows absence (rel_/ae_ keys,
// spectra, speed, solver) and turns every non-finite number (NaN is serialised as null) into null.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

import { EVAL_FORMAT } from '../eval/format.js';

export { EVAL_FORMAT };

/** A metric value: null stands for NaN, infinities, or a value the evaluation could not compute. */
export type Num = number | null;

const num = z.union([z.number(), z.string(), z.null()]).transform((v): Num => (typeof v === 'number' && Number.isFinite(v) ? v : null));
const numArray = z.array(num);
/** metric key → field (and "mean") → one value per lead time or horizon. */
const metricTable = z.record(z.string(), z.record(z.string(), numArray));

const spectrum = z.looseObject({
  k: numArray,
  lead_times: z.array(z.number()),
  truth: z.array(numArray),
  emulated: z.array(numArray),
  autoencoder: z.array(numArray).nullable().optional(),
});

const summarySchema = z.looseObject({
  format: z.literal(EVAL_FORMAT),
  run: z.string().optional(),
  name: z.string(),
  kind: z.string(),
  ae_run: z.string().nullable().optional(),
  compression_rate: num.optional(),
  dataset: z.string().optional(),
  split: z.string().optional(),
  fields: z.array(z.string()),
  protocol: z.record(z.string(), z.unknown()).default({}),
  lead_times: z.array(z.number()),
  horizons: z.array(z.tuple([z.number(), z.number()])).default([]),
  metrics: z.array(z.string()).default([]),
  per_lead: metricTable.default({}),
  by_horizon: metricTable.default({}),
  spectra: z.record(z.string(), spectrum).nullable().default({}),
  speed: z
    .looseObject({
      seconds_per_state: num.optional(),
      encode_seconds: num.optional(),
      rollout_seconds: num.optional(),
      decode_seconds: num.optional(),
      states: num.optional(),
      samples: num.optional(),
      device: z.string().optional(),
      threads: num.optional(),
    })
    .nullable()
    .optional(),
  solver: z.looseObject({ name: z.string().optional(), seconds_per_state: num.optional(), resolution: z.union([num, z.array(z.number())]).optional() }).nullable().optional(),
  wall_seconds: num.optional(),
});

export type EvalSummary = z.infer<typeof summarySchema>;
export type Spectrum = z.infer<typeof spectrum>;

const animationSchema = z.looseObject({
  trajectory: z.number().optional(),
  fields: z.array(z.string()),
  lead_times: z.array(z.number()),
  shape: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  range: z.record(z.string(), z.tuple([num, num])).default({}),
  truth: z.record(z.string(), z.string()),
  members: z.record(z.string(), z.array(z.string())).default({}),
  autoencoder: z.record(z.string(), z.string()).nullable().optional(),
});

export type EvalAnimation = z.infer<typeof animationSchema>;

function readJson(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

function issues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Reads and checks `<dir>/summary.json`; errors name the file and the offending keys. */
export function readSummary(dir: string): EvalSummary {
  const path = join(dir, 'summary.json');
  if (!existsSync(path)) throw new Error(`${dir}: no summary.json (not an evaluation directory)`);
  const raw = readJson(path);
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== EVAL_FORMAT) throw new Error(`${path}: format is ${JSON.stringify(format)}, expected "${EVAL_FORMAT}"`);
  const parsed = summarySchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: ${issues(parsed.error)}`);
  return parsed.data;
}

/**
 * Reads `<dir>/animation.json` when present. Returns null when absent; throws (naming the file) when it
 * does not match the contract, including frame data whose length is not frames·H·W.
 */
export function readAnimation(dir: string): EvalAnimation | null {
  const path = join(dir, 'animation.json');
  if (!existsSync(path)) return null;
  const parsed = animationSchema.safeParse(readJson(path));
  if (!parsed.success) throw new Error(`${path}: ${issues(parsed.error)}`);
  const a = parsed.data;
  const bytes = a.lead_times.length * a.shape[0] * a.shape[1];
  const check = (b64: string, what: string): void => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new Error(`${path}: ${what} is not base64`);
    const n = Buffer.byteLength(b64, 'base64');
    if (n !== bytes) throw new Error(`${path}: ${what} holds ${n} bytes, expected ${bytes} (${a.lead_times.length} frames of ${a.shape[0]}×${a.shape[1]})`);
  };
  for (const f of a.fields) {
    const truth = a.truth[f];
    if (truth === undefined) throw new Error(`${path}: no truth frames for field ${f}`);
    check(truth, `truth.${f}`);
    (a.members[f] ?? []).forEach((m, i) => check(m, `members.${f}[${i}]`));
    const ae = a.autoencoder?.[f];
    if (ae !== undefined) check(ae, `autoencoder.${f}`);
  }
  return a;
}
