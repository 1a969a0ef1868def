// Runs an experiment's stages in order through the same library functions and run directories as the single
// commands (generate, train-ae, cache-latents, train-diffusion / train-surrogate, eval, report). A stage
// records itself in stages/<id>.json: {hash, done} — written with done = false when it starts, true when it
// finishes. A finished stage with the same hash is reused; one with another hash (the file changed under it)
// is refused with the directory to remove. An interrupted study (Ctrl-C, a killed process) resumes on the
// next call: training runs continue from their last checkpoint, evaluations from their finished trajectories.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { evaluateRun, type EvalSummary } from '../eval/evaluate.js';
import { writeReport } from '../report/index.js';
import { generateEuler } from '../solvers/generate.js';
import { cacheLatents } from '../train/cache-latents.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { trainAutoencoder } from '../train/train-ae.js';
import { trainEmulator } from '../train/train-emulator.js';
import { buildComparison, comparisonCsv, comparisonMarkdown, type Comparison, type ComparisonEval } from './comparison.js';
import type { EvalStage, ExperimentPlan, Stage } from './plan.js';

export type StageStatus = 'done' | 'started' | 'to do' | 'changed';

interface Marker {
  id: string;
  hash: string;
  done: boolean;
  seconds?: number;
}

const markerPath = (plan: ExperimentPlan, stage: Stage) => join(plan.out, 'stages', `${stage.id.replace(/\//g, '__')}.json`);

function readMarker(plan: ExperimentPlan, stage: Stage): Marker | null {
  const path = markerPath(plan, stage);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Marker) : null;
}

/** done: finished with this definition; started: begun (resumes); changed: made from another definition. The
 *  comparison only reads the evaluations, so a study that gained or lost some redoes it ('to do'), never refuses. */
export function stageStatus(plan: ExperimentPlan, stage: Stage): StageStatus {
  const m = readMarker(plan, stage);
  if (!m) return stage.kind !== 'compare' && existsSync(join(stage.dir, stage.kind === 'eval' ? 'protocol.json' : 'config.yaml')) ? 'started' : 'to do';
  if (m.hash !== stage.hash) return stage.kind === 'compare' ? 'to do' : 'changed';
  return m.done ? 'done' : 'started';
}

/** The `--dry-run` listing: one line per stage with its status and directory. */
export function describePlan(plan: ExperimentPlan): string {
  const width = Math.max(...plan.stages.map((s) => s.id.length));
  const lines = plan.stages.map((s) => `  ${stageStatus(plan, s).padEnd(8)} ${s.id.padEnd(width)}  ${relative(plan.out, s.dir) || '.'}`);
  const count = (st: StageStatus) => plan.stages.filter((s) => stageStatus(plan, s) === st).length;
  return [
    `experiment ${plan.spec.name} (${plan.source}) → ${plan.out}`,
    `${plan.stages.length} stages: ${count('done')} done, ${count('started')} started (resume), ${count('to do')} to do${count('changed') ? `, ${count('changed')} changed (refused: remove their directories)` : ''}`,
    ...lines,
  ].join('\n');
}

export interface RunExperimentOptions {
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Training progress: a line per epoch (default) or none. */
  progress?: 'lines' | 'none';
  /** Called as each stage starts (after its checks), e.g. for progress or to interrupt in tests. */
  onStage?: (stage: Stage, status: StageStatus) => void;
}

export interface ExperimentResult {
  comparison: Comparison;
  markdown: string;
  report: string;
  /** Stage ids run in this call (the others were reused). */
  ran: string[];
  seconds: number;
}

export async function runExperiment(plan: ExperimentPlan, o: RunExperimentOptions = {}): Promise<ExperimentResult> {
  const log = o.log ?? (() => {});
  const started = performance.now();
  const changed = plan.stages.filter((s) => stageStatus(plan, s) === 'changed');
  if (changed.length)
    throw new Error(
      `${plan.source}: ${changed.length} finished or started stage(s) were made from another definition (the file changed): ${changed.map((s) => `${s.id} (${s.dir})`).join(', ')}; remove those directories and their stages/*.json markers, or give another --out`,
    );
  mkdirSync(join(plan.out, 'stages'), { recursive: true });
  const ran: string[] = [];
  const interrupted = (stage: Stage) => new Error(`experiment interrupted during ${stage.id}; finished stages are kept in ${plan.out} (run the same command again to resume)`);
  let result: { comparison: Comparison; markdown: string; report: string } | undefined;
  for (const [i, stage] of plan.stages.entries()) {
    const status = stageStatus(plan, stage);
    if (status === 'done' && stage.kind !== 'compare') continue;
    if (o.signal?.aborted) throw interrupted(stage);
    o.onStage?.(stage, status);
    log(`[${i + 1}/${plan.stages.length}] ${stage.id}${status === 'started' ? ' (resuming)' : ''}`);
    const t0 = performance.now();
    writeFileAtomic(markerPath(plan, stage), `${JSON.stringify({ id: stage.id, hash: stage.hash, done: false } satisfies Marker)}\n`);
    const finished = await runStage(plan, stage, o, log);
    if (o.signal?.aborted || !finished) throw interrupted(stage);
    if (stage.kind === 'compare') result = finished as typeof result;
    writeFileAtomic(markerPath(plan, stage), `${JSON.stringify({ id: stage.id, hash: stage.hash, done: true, seconds: (performance.now() - t0) / 1000 } satisfies Marker)}\n`);
    ran.push(stage.id);
  }
  return { ...result!, ran, seconds: (performance.now() - started) / 1000 };
}

/** Runs one stage; false (or throws) when it stopped before finishing. */
async function runStage(plan: ExperimentPlan, stage: Stage, o: RunExperimentOptions, log: (line: string) => void): Promise<unknown> {
  const { spec } = plan;
  switch (stage.kind) {
    case 'generate': {
      const g = stage.generate;
      await generateEuler({ root: plan.dataRoot, boundary: g.boundary, resolution: g.resolution, steps: g.steps, trajectories: g.trajectories, gamma: g.gamma, seed: spec.seed, device: spec.device });
      return true;
    }
    case 'train-ae': {
      const exists = existsSync(join(stage.dir, 'config.yaml'));
      const r = await trainAutoencoder(exists ? undefined : stage.config, { ...(exists ? { resumeDir: stage.dir } : { runDir: stage.dir }), progress: o.progress ?? 'lines', signal: o.signal, log });
      return r.completed;
    }
    case 'cache-latents': {
      await cacheLatents(stage.aeDir, { split: 'train', repeat: stage.repeat, device: spec.device });
      await cacheLatents(stage.aeDir, { split: 'valid', device: spec.device });
      return true;
    }
    case 'train-diffusion':
    case 'train-surrogate': {
      const exists = existsSync(join(stage.dir, 'config.yaml'));
      const r = await trainEmulator(exists ? undefined : stage.config, { ...(exists ? { resumeDir: stage.dir } : { runDir: stage.dir }), progress: o.progress ?? 'lines', signal: o.signal, log });
      return r.completed;
    }
    case 'eval': {
      await evaluateRun(stage.runDir, {
        split: spec.eval.split,
        trajectories: spec.eval.trajectories,
        samples: spec.eval.samples,
        sampler: stage.sampler?.sampler,
        steps: stage.sampler?.steps,
        context: stage.context,
        start: spec.eval.start,
        seed: spec.seed,
        horizons: spec.eval.horizons,
        device: spec.device,
        out: stage.dir,
        signal: o.signal,
        log,
      });
      return true;
    }
    case 'compare':
      return compare(plan);
  }
}

/** The comparison table (comparison.md, comparison.csv) and the report over every evaluation of the study. */
export async function compare(plan: ExperimentPlan): Promise<{ comparison: Comparison; markdown: string; report: string }> {
  const evalStages = plan.stages.filter((s): s is EvalStage => s.kind === 'eval');
  const evals: ComparisonEval[] = evalStages.map((s) => ({
    summary: JSON.parse(readFileSync(join(s.dir, 'summary.json'), 'utf8')) as EvalSummary,
    dir: s.dir,
    aeVariant: s.aeVariant,
    model: s.variant ? `${s.runKind}-${s.variant}` : s.runKind,
    sampler: s.sampler,
    context: s.context,
  }));
  const comparison = buildComparison(evals);
  const title = `${plan.spec.name}: ${evals[0]!.summary.dataset} ${plan.spec.eval.split}, ${evals[0]!.summary.protocol.trajectories} trajectories`;
  const markdown = comparisonMarkdown(comparison, title);
  writeFileAtomic(join(plan.out, 'comparison.md'), markdown);
  writeFileAtomic(join(plan.out, 'comparison.csv'), comparisonCsv(comparison, plan.out));
  const report = join(plan.out, 'report.html');
  await writeReport(evalStages.map((s) => s.dir), report, { title: `latent-emulator experiment ${plan.spec.name}` });
  return { comparison, markdown, report };
}
