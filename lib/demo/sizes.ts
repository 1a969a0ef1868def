// The demo's sizes as data: configs/demo/<size>.yaml (tiny, cpu, long, gpu) or a YAML file by path, validated
// here with errors that name the key. Each shipped file carries a comment per choice saying why.
import { z } from 'zod';

import { presetNames, readConfigFile, validateConfig } from '../util/config-file.js';

const positiveInt = z.number().int().positive();

/** The trainer of one stage: a preset of configs/<family>/, optimizer steps, batch and `key=value` overrides. */
const StageSchema = z
  .object({
    preset: z.string().min(1),
    steps: positiveInt,
    batch: positiveInt,
    /** Overrides of the run configuration (the AE's: `ae.KEY=…`; the emulators': the model section's keys). */
    overrides: z.array(z.string()).default([]),
    /** Peak learning rate (cosine decay after a 5 % warm-up). */
    learning_rate: z.number().positive().default(1e-3),
    /** optim.ema_decay: 0 trains without EMA; the run's state_best and eval then use the raw weights. */
    ema_decay: z.number().min(0).lt(1).default(0),
  })
  .strict();

export const DemoSizesSchema = z
  .object({
    name: z.string().optional(),
    resolution: positiveInt,
    /** Trajectories per heat-capacity ratio (split 0.8 / 0.1 / 0.1). */
    trajectories: positiveInt,
    gamma: z.array(z.number().positive()).min(1),
    /** Stored states per trajectory (every 0.015). */
    steps: z.number().int().min(2),
    /** Steps between emulated states (trajectory.stride). */
    stride: positiveInt,
    /** Augmented copies per training trajectory in the latent cache. */
    repeat: positiveInt,
    precision: z.enum(['float32', 'bfloat16']),
    ae: StageSchema,
    /** Both emulators (diffusion and neural solver): the same backbone, windows and steps. */
    emulator: StageSchema,
    eval: z.object({ trajectories: positiveInt, samples: positiveInt, steps: positiveInt }).strict(),
  })
  .strict();

export type DemoSizes = z.infer<typeof DemoSizesSchema>;
export type DemoSizeName = 'tiny' | 'cpu' | 'long' | 'gpu';
export const DEMO_SIZE_NAMES: readonly DemoSizeName[] = ['tiny', 'cpu', 'long', 'gpu'];

/** The sizes of a shipped preset (configs/demo/NAME.yaml) or of a YAML file given by path. */
export function demoSizes(nameOrPath: string): DemoSizes {
  const { raw, source } = readConfigFile('demo', nameOrPath);
  return validateConfig(DemoSizesSchema as unknown as z.ZodObject, raw, source) as DemoSizes;
}

/** The shipped demo sizes. */
export const demoSizePresets = (): string[] => presetNames('demo');
