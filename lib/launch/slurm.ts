// Slurm batch pipelines (what the reference does with dawgz): one sbatch script per stage of a pipeline
// file (train-ae → cache-latents → train-diffusion / train-surrogate → eval, or any latent-emulator
// commands), each started with `srun` so that its tasks become the ranks of a data-parallel run, submitted
// in order with --dependency=afterok on the stages it comes after.
//
//   name: euler
//   resources: { nodes: 1, tasks_per_node: 4, gpus_per_node: 4, cpus_per_task: 8, time: "24:00:00", partition: gpu }
//   stages:
//     - { name: ae, command: train-ae, args: [dataset=euler_all, --run-dir, runs/ae/euler] }
//     - { name: cache, command: cache-latents, args: [runs/ae/euler], after: [ae], resources: { tasks_per_node: 1 } }
//     - { name: diffusion, command: train-diffusion, args: [ae_run=runs/ae/euler, --run-dir, runs/diffusion/euler], after: [cache] }
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parse } from 'yaml';
import { z } from 'zod';

import { writeFileAtomic } from '../train/checkpoint.js';

const resources = z
  .object({
    nodes: z.number().int().min(1).optional(),
    tasks_per_node: z.number().int().min(1).optional(),
    gpus_per_node: z.number().int().min(0).optional(),
    cpus_per_task: z.number().int().min(1).optional(),
    mem: z.string().optional(),
    time: z.string().optional(),
    partition: z.string().optional(),
    account: z.string().optional(),
    constraint: z.string().optional(),
  })
  .strict();

const stage = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    command: z.string().min(1),
    args: z.array(z.union([z.string(), z.number()]).transform(String)).default([]),
    after: z.array(z.string()).default([]),
    resources: resources.default({}),
    /** Extra lines for the script before the command (module load, environment). */
    setup: z.array(z.string()).default([]),
  })
  .strict();

const pipelineSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    /** Where the scripts and the jobs' output go (default slurm/<name>). */
    dir: z.string().optional(),
    resources: resources.default({}),
    setup: z.array(z.string()).default([]),
    stages: z.array(stage).min(1),
  })
  .strict();

export type Pipeline = z.infer<typeof pipelineSchema>;
export type Resources = z.infer<typeof resources>;

/** Reads and checks a pipeline file; errors name the file and the key. */
export function readPipeline(path: string): Pipeline {
  if (!existsSync(path)) throw new Error(`${path}: pipeline file not found`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot parse YAML (${(err as Error).message})`);
  }
  const r = pipelineSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const s of r.data.stages) {
    if (seen.has(s.name)) throw new Error(`${path}: stage "${s.name}" appears twice`);
    for (const a of s.after) if (!seen.has(a)) throw new Error(`${path}: stage "${s.name}" comes after "${a}", which is not an earlier stage`);
    seen.add(s.name);
  }
  return r.data;
}

const quote = (s: string) => (/^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The sbatch script of one stage. `cli` is how a task starts latent-emulator (absolute paths). */
export function stageScript(p: Pipeline, s: Pipeline['stages'][number], o: { dir: string; cwd: string; cli: string[] }): string {
  const r: Resources = { nodes: 1, tasks_per_node: 1, ...p.resources, ...s.resources };
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${p.name}-${s.name}`,
    `#SBATCH --nodes=${r.nodes}`,
    `#SBATCH --ntasks-per-node=${r.tasks_per_node}`,
    ...(r.cpus_per_task ? [`#SBATCH --cpus-per-task=${r.cpus_per_task}`] : []),
    ...(r.gpus_per_node ? [`#SBATCH --gpus-per-node=${r.gpus_per_node}`] : []),
    ...(r.mem ? [`#SBATCH --mem=${r.mem}`] : []),
    ...(r.time ? [`#SBATCH --time=${r.time}`] : []),
    ...(r.partition ? [`#SBATCH --partition=${r.partition}`] : []),
    ...(r.account ? [`#SBATCH --account=${r.account}`] : []),
    ...(r.constraint ? [`#SBATCH --constraint=${r.constraint}`] : []),
    `#SBATCH --output=${join(o.dir, `${s.name}-%j.out`)}`,
    'set -euo pipefail',
    `cd ${quote(o.cwd)}`,
    ...p.setup,
    ...s.setup,
    '# every task is one rank; latent-emulator reads its rank from Slurm (SLURM_PROCID, SLURM_STEP_NUM_TASKS, ...)',
    `srun --kill-on-bad-exit=1 ${[...o.cli, s.command, ...s.args].map(quote).join(' ')}`,
    '',
  ];
  return lines.join('\n');
}

export interface SubmittedStage {
  stage: string;
  script: string;
  /** The sbatch command line (with the dependency on the earlier stages' job ids). */
  sbatch: string[];
  jobId?: string;
}

/**
 * Writes every stage's script into the pipeline's directory and, unless `dryRun`, submits them in order
 * with `sbatch --parsable --dependency=afterok:<ids of its `after` stages>`.
 */
export function submitPipeline(path: string, o: { dryRun?: boolean; cli: string[]; cwd?: string; sbatch?: string }): SubmittedStage[] {
  const p = readPipeline(path);
  const cwd = resolve(o.cwd ?? process.cwd());
  const dir = resolve(cwd, p.dir ?? join('slurm', p.name));
  mkdirSync(dir, { recursive: true });
  const ids = new Map<string, string>();
  const out: SubmittedStage[] = [];
  for (const s of p.stages) {
    const script = join(dir, `${s.name}.sbatch`);
    writeFileAtomic(script, stageScript(p, s, { dir, cwd, cli: o.cli }));
    const dependency = s.after.map((a) => ids.get(a) ?? `<${a}>`);
    const sbatch = [o.sbatch ?? 'sbatch', '--parsable', ...(dependency.length ? [`--dependency=afterok:${dependency.join(':')}`] : []), script];
    const entry: SubmittedStage = { stage: s.name, script, sbatch };
    if (!o.dryRun) {
      const r = spawnSync(sbatch[0]!, sbatch.slice(1), { encoding: 'utf8' });
      if (r.error) throw new Error(`cannot run ${sbatch[0]} (is Slurm installed here?): ${r.error.message}`);
      if (r.status !== 0) throw new Error(`sbatch refused stage "${s.name}" (${script}): ${(r.stderr || r.stdout).trim()}${out.length ? `; submitted before: ${out.map((e) => `${e.stage}=${e.jobId}`).join(', ')}` : ''}`);
      entry.jobId = r.stdout.trim().split(';')[0]!;
      ids.set(s.name, entry.jobId);
    }
    out.push(entry);
  }
  return out;
}
