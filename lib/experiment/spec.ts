// The experiment file (`latent-emulator experiment FILE.yaml`): one study as a grid over shared stages.
//
//   name: euler64-compression            # folder name under experiments/ (default output)
//   out: experiments/euler64-compression # optional; relative paths are from the working directory
//   device: cpu
//   seed: 0
//   data:                                # either generate (built-in Euler solver) or root (existing Well data)
//     generate: {resolution: 64, trajectories: 16, gamma: [1.4, 1.597, 1.76], steps: 41, boundary: open}
//   dataset: euler_open                  # dataset preset or YAML path (default: the generated data's)
//   autoencoder:                         # one autoencoder run (and one latent cache) per variant
//     base: ae_cpu                       # train configuration preset or path
//     overrides: [train.epochs=4]        # for every variant
//     variants: {f8c16: [ae=dcae_f8c16_cpu], f16c32: [ae=dcae_f16c32_cpu]}
//   cache: {repeat: 2}                   # augmented copies of each train trajectory in the latent cache
//   emulators:                           # every kind × variant is trained on every autoencoder
//     overrides: [trajectory.stride=2]   # for every emulator run; `model.KEY` means denoiser.KEY / surrogate.KEY
//     diffusion: {base: diffusion_cpu, overrides: []}
//     surrogate: {base: surrogate_cpu, overrides: []}
//     variants: {}                       # optional further grid axis, e.g. {w64: [model.hid_channels=64]}
//   eval:                                # every emulator run × sampler (diffusion only) × context
//     split: test
//     trajectories: 6
//     samples: 8
//     samplers: [{sampler: ab, steps: 16}]
//     context: [1]
//     horizons: [[1, 6], [7, 13], [14, 20]]   # optional (default: the reference's for the physics)
//
// Validated with zod; an error names the file and the key (`autoencoder.variants.f8: expected array`).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

import { didYouMean } from '../data/errors.js';
import { SAMPLERS } from '../models/schemas.js';

const positive = z.number().int().positive();
const slug = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit');
const overrides = z.array(z.string().regex(/^[A-Za-z0-9_.]+=/, 'an override like section.key=value'));
const emulatorKind = z.strictObject({ base: z.string().optional(), overrides: overrides.default([]) });

export const experimentSchema = z
  .strictObject({
    name: slug,
    description: z.string().optional(),
    out: z.string().optional(),
    device: z.string().default('cpu'),
    seed: z.number().int().min(0).default(0),
    data: z
      .strictObject({
        root: z.string().optional(),
        generate: z
          .strictObject({
            physics: z.literal('euler').default('euler'),
            boundary: z.enum(['open', 'periodic']).default('open'),
            resolution: positive,
            trajectories: positive,
            gamma: z.array(z.number()).min(1).optional(),
            steps: positive,
          })
          .optional(),
      })
      .refine((d) => (d.root === undefined) !== (d.generate === undefined), 'give exactly one of data.root and data.generate'),
    dataset: z.string().optional(),
    autoencoder: z.strictObject({
      base: z.string().default('ae_cpu'),
      overrides: overrides.default([]),
      variants: z.record(slug, overrides).refine((v) => Object.keys(v).length > 0, 'name at least one autoencoder variant'),
    }),
    cache: z.strictObject({ repeat: positive.default(1) }).default({ repeat: 1 }),
    emulators: z
      .strictObject({
        overrides: overrides.default([]),
        diffusion: emulatorKind.optional(),
        surrogate: emulatorKind.optional(),
        variants: z.record(slug, overrides).default({}),
      })
      .refine((e) => e.diffusion !== undefined || e.surrogate !== undefined, 'name at least one of emulators.diffusion and emulators.surrogate'),
    eval: z
      .strictObject({
        split: z.string().default('test'),
        trajectories: positive.default(64),
        samples: positive.default(16),
        samplers: z.array(z.strictObject({ sampler: z.enum(SAMPLERS), steps: positive })).min(1).default([{ sampler: 'ab', steps: 16 }]),
        context: z.array(positive).min(1).default([1]),
        start: z.number().int().min(0).default(0),
        horizons: z
          .array(z.tuple([positive, positive]).refine(([a, b]) => a <= b, 'a horizon is [first, last] lead time with first ≤ last'))
          .min(1)
          .optional(),
      })
      .default({ split: 'test', trajectories: 64, samples: 16, samplers: [{ sampler: 'ab', steps: 16 }], context: [1], start: 0 }),
  })
  .refine((s) => s.dataset !== undefined || s.data.generate !== undefined, { message: 'give dataset (a preset name or YAML path) when data.root is used', path: ['dataset'] });

export type ExperimentSpec = z.infer<typeof experimentSchema>;

/** Every key a mapping at `path` accepts, for "did you mean" suggestions. */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = experimentSchema;
  for (const key of path) {
    let inner: z.ZodType = schema;
    for (;;) {
      const def = (inner as { def?: { type?: string; innerType?: z.ZodType; in?: z.ZodType; schema?: z.ZodType } }).def;
      if (def?.innerType) inner = def.innerType;
      else if (def?.type === 'pipe' && def.in) inner = def.in;
      else break;
    }
    const shape = (inner as { shape?: Record<string, z.ZodType> }).shape;
    if (!shape || !(String(key) in shape)) return [];
    schema = shape[String(key)]!;
  }
  for (;;) {
    const def = (schema as { def?: { innerType?: z.ZodType } }).def;
    if (def?.innerType) schema = def.innerType;
    else break;
  }
  return Object.keys((schema as { shape?: Record<string, unknown> }).shape ?? {});
}

/** Validates a parsed experiment; errors name `source` and each offending key. */
export function parseExperiment(raw: unknown, source: string): ExperimentSpec {
  const r = experimentSchema.safeParse(raw);
  if (r.success) return r.data;
  const problems = r.error.issues.map((issue) => {
    const where = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => `unknown key '${where ? `${where}.` : ''}${k}'${didYouMean(k, knownKeys(issue.path))}`).join('; ');
    return `${where || '(root)'}: ${issue.message}`;
  });
  throw new Error(`${source}: ${problems.join('; ')}`);
}

/** Reads and validates an experiment file. */
export function readExperiment(file: string): ExperimentSpec {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`${path}: experiment file not found`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new Error(`${path}: cannot parse YAML (${(err as Error).message})`);
  }
  return parseExperiment(raw, path);
}
