// An experiment's stages, resolved from its file before anything runs: every run configuration is composed and
// validated up front (a typo fails the study at once, not after an hour of training). Layout under `out`:
//   data/                                          generated data (data.generate)
//   ae/<variant>/                                  one autoencoder run per variant; its latent cache in cache/
//   emulators/<ae variant>-<kind>[-<variant>]/     emulator runs (the name the report shows); their evaluations
//                                                  in eval/<split>_<sampler><steps>_c<context>
//   stages/<stage>.json                            what each stage was asked to do, and whether it finished
//   comparison.md, comparison.csv, report.html     the comparison (table in the paper's layout, plots)
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

import type { SamplerName } from '../models/schemas.js';
import { composeConfig, resolveAeConfig, resolveEmulatorConfig, type AeRunConfig, type EmulatorRunConfig, type EmulatorRunKind } from '../train/config.js';
import type { ExperimentSpec } from './spec.js';

export type StageKind = 'generate' | 'train-ae' | 'cache-latents' | 'train-diffusion' | 'train-surrogate' | 'eval' | 'compare';

interface StageBase {
  /** Unique id, also the marker's name (stages/<id with / as __>.json). */
  id: string;
  kind: StageKind;
  /** The directory the stage writes. */
  dir: string;
  /** Ids of the stages it needs. */
  needs: string[];
  /** Hash of what the stage is asked to do: a finished stage with another hash is refused, not silently reused. */
  hash: string;
}

export interface GenerateStage extends StageBase {
  kind: 'generate';
  generate: NonNullable<ExperimentSpec['data']['generate']>;
}
export interface AeStage extends StageBase {
  kind: 'train-ae';
  variant: string;
  config: AeRunConfig;
}
export interface CacheStage extends StageBase {
  kind: 'cache-latents';
  aeDir: string;
  repeat: number;
}
export interface EmulatorStage extends StageBase {
  kind: 'train-diffusion' | 'train-surrogate';
  runKind: EmulatorRunKind;
  aeVariant: string;
  variant: string | null;
  config: EmulatorRunConfig;
}
export interface EvalStage extends StageBase {
  kind: 'eval';
  runDir: string;
  runKind: EmulatorRunKind;
  aeVariant: string;
  variant: string | null;
  sampler: { sampler: SamplerName; steps: number } | null;
  context: number;
}
export interface CompareStage extends StageBase {
  kind: 'compare';
}
export type Stage = GenerateStage | AeStage | CacheStage | EmulatorStage | EvalStage | CompareStage;

export interface ExperimentPlan {
  spec: ExperimentSpec;
  /** The experiment file (absolute) and the output folder. */
  source: string;
  out: string;
  dataRoot: string;
  dataset: string;
  stages: Stage[];
}

const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
const quote = (path: string) => JSON.stringify(path);

/** `model=…` / `model.KEY=…` → `denoiser…` or `surrogate…`: one override list for both kinds of emulator. */
export function forKind(overrides: readonly string[], kind: EmulatorRunKind): string[] {
  const section = kind === 'diffusion' ? 'denoiser' : 'surrogate';
  return overrides.map((o) => o.replace(/^model(?=[.=])/, section));
}

/** Resolves every stage of the study; `out` (absolute or from the working directory) replaces the file's. */
export function planExperiment(spec: ExperimentSpec, source: string, o: { out?: string } = {}): ExperimentPlan {
  const out = resolve(o.out ?? spec.out ?? join('experiments', spec.name));
  const dataRoot = spec.data.generate ? join(out, 'data') : resolve(spec.data.root!);
  const dataset = spec.dataset ?? `euler_${spec.data.generate!.boundary}`;
  const where = (what: string) => `${source}: ${what}`;
  const shared = (runsDir: string) => [`runs_dir=${quote(runsDir)}`, `train.device=${spec.device}`, `train.seed=${spec.seed}`];
  const stages: Stage[] = [];

  let generateId: string | null = null;
  if (spec.data.generate) {
    generateId = 'generate';
    stages.push({ id: generateId, kind: 'generate', dir: dataRoot, needs: [], hash: hashOf({ ...spec.data.generate, seed: spec.seed }), generate: spec.data.generate });
  }

  const aeIds: Record<string, { train: string; cache: string; dir: string }> = {};
  for (const [variant, overrides] of Object.entries(spec.autoencoder.variants)) {
    const dir = join(out, 'ae', variant);
    let config: AeRunConfig;
    try {
      config = resolveAeConfig(
        composeConfig(spec.autoencoder.base, [`dataset=${dataset}`, `dataset.root=${quote(dataRoot)}`, ...spec.autoencoder.overrides, ...overrides, ...shared(join(out, 'ae'))]),
        where(`autoencoder.variants.${variant}`),
      );
    } catch (err) {
      throw new Error(`${where(`autoencoder.variants.${variant}`)}: ${(err as Error).message.replace(`${where(`autoencoder.variants.${variant}`)}: `, '')}`);
    }
    const train = `train-ae/${variant}`;
    const cache = `cache-latents/${variant}`;
    stages.push({ id: train, kind: 'train-ae', dir, needs: generateId ? [generateId] : [], hash: hashOf(config), variant, config });
    stages.push({ id: cache, kind: 'cache-latents', dir: join(dir, 'cache'), needs: [train], hash: hashOf({ ae: config, repeat: spec.cache.repeat }), aeDir: dir, repeat: spec.cache.repeat });
    aeIds[variant] = { train, cache, dir };
  }

  const kinds = (['diffusion', 'surrogate'] as const).filter((k) => spec.emulators[k] !== undefined);
  const variants: Array<[string | null, string[]]> = Object.keys(spec.emulators.variants).length ? Object.entries(spec.emulators.variants) : [[null, []]];
  const evalIds: string[] = [];
  for (const [aeVariant, ae] of Object.entries(aeIds))
    for (const runKind of kinds)
      for (const [variant, variantOverrides] of variants) {
        const name = variant ? `${runKind}-${variant}` : runKind;
        const dir = join(out, 'emulators', `${aeVariant}-${name}`);
        const key = `emulators.${runKind}${variant ? ` × emulators.variants.${variant}` : ''}`;
        const kindSpec = spec.emulators[runKind]!;
        let config: EmulatorRunConfig;
        try {
          const overrides = forKind([`ae_run=${quote(ae.dir)}`, ...spec.emulators.overrides, ...kindSpec.overrides, ...variantOverrides, ...shared(join(out, 'emulators'))], runKind);
          config = resolveEmulatorConfig(composeConfig(kindSpec.base ?? `${runKind}_cpu`, overrides, runKind), runKind, where(key));
        } catch (err) {
          throw new Error(`${where(key)}: ${(err as Error).message.replace(`${where(key)}: `, '')}`);
        }
        const trainId = `train-${runKind}/${aeVariant}/${name}`;
        stages.push({ id: trainId, kind: `train-${runKind}`, dir, needs: [ae.cache], hash: hashOf(config), runKind, aeVariant, variant, config });
        const samplers = runKind === 'diffusion' ? spec.eval.samplers : [null];
        for (const sampler of samplers)
          for (const context of spec.eval.context) {
            const evalName = sampler ? `${spec.eval.split}_${sampler.sampler}${sampler.steps}_c${context}` : `${spec.eval.split}_c${context}`;
            const id = `eval/${aeVariant}/${name}/${evalName}`;
            const protocol = { ...spec.eval, samplers: undefined, context, sampler, samples: runKind === 'diffusion' ? spec.eval.samples : 1 };
            stages.push({ id, kind: 'eval', dir: join(dir, 'eval', evalName), needs: [trainId], hash: hashOf({ run: config, protocol }), runDir: dir, runKind, aeVariant, variant, sampler, context });
            evalIds.push(id);
          }
      }
  stages.push({ id: 'compare', kind: 'compare', dir: out, needs: evalIds, hash: hashOf(evalIds) });
  return { spec, source, out, dataRoot, dataset, stages };
}
