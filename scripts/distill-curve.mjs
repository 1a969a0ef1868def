#!/usr/bin/env node
// The accuracy-vs-cost curve of issue 15: VRMSE by horizon, spread/skill and CRPS against denoiser calls per
// emulated state (1, 2, 4, 8, 16) for a progressively distilled student and for the teacher's Adams–Bashforth
// (order 3) and DDIM samplers at the same call counts, with ms per emulated state, all in one process (so the
// timings are ratios measured together).
//
//   node scripts/distill-curve.mjs RUN [--iterations-per-round 300] [--batch-size B] [--trajectories 6] [--samples 8] [--split test]
//                                      [--calls 1,2,4,8,16] [--out DIR] [--phase all|teacher|student]
//
// RUN is a train-diffusion run (e.g. the demo's <out>/runs/diffusion). The distillation (16 → 8 → 4 → 2 → 1) goes to
// <RUN>/distill-1 (resumed when there), the evaluations to each run's eval/ folder (resumed too), the table to
// <out>/distill-curve.{json,md} (default: the distill directory). Set LATENT_EMULATOR_THREADS on a shared machine.
// --phase teacher runs only the teacher's evaluations and --phase student only the distillation and the student's,
// so that the two can run side by side; a final --phase all (the default) then reads the finished evaluations back.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const dist = new URL('../dist/', import.meta.url);
const { distillRun } = await import(new URL('train/distill.js', dist).href);
const { evaluateRun } = await import(new URL('eval/evaluate.js', dist).href);
const { writeReport } = await import(new URL('report/index.js', dist).href);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'iterations-per-round': { type: 'string', default: '300' },
    'batch-size': { type: 'string' },
    trajectories: { type: 'string', default: '6' },
    samples: { type: 'string', default: '8' },
    split: { type: 'string', default: 'test' },
    calls: { type: 'string', default: '1,2,4,8,16' },
    out: { type: 'string' },
    phase: { type: 'string', default: 'all' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node scripts/distill-curve.mjs RUN [--iterations-per-round N] [--trajectories N] [--samples K] [--split test] [--calls 1,2,4,8,16] [--out DIR]');
  process.exit(2);
}
const run = resolve(positionals[0]);
const calls = values.calls.split(',').map(Number);
const teacherSteps = Math.max(...calls);
const log = (line) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);

const phase = values.phase;
if (!['all', 'teacher', 'student'].includes(phase)) throw new Error(`--phase must be all, teacher or student, got ${phase}`);
const distillDir = join(run, `distill-${Math.min(...calls)}`);
const distilled = phase === 'teacher' ? { completed: true, dir: distillDir } : await distillRun(run, {
  steps: Math.min(...calls),
  teacherSteps,
  iterationsPerRound: Number(values['iterations-per-round']),
  ...(values['batch-size'] ? { batchSize: Number(values['batch-size']) } : {}),
  progress: 'lines',
  log,
  onRound: (r) => log(`distillation round ${r.teacherSteps} → ${r.steps} steps${r.skipped ? ' (done earlier)' : ''}`),
});
if (!distilled.completed) throw new Error('the distillation stopped before finishing; run again to resume');
const out = resolve(values.out ?? distilled.dir);

const protocol = { split: values.split, trajectories: Number(values.trajectories), samples: Number(values.samples), log };
const rows = [];
const evalDirs = [];
const mean = (s, key) => s.by_horizon[key]?.mean ?? null;
for (const n of calls) {
  const variants = [
    ...(phase !== 'student' ? [['AB3 (teacher)', run, { sampler: 'ab', steps: n }], ['DDIM (teacher)', run, { sampler: 'ddim', steps: n }]] : []),
    ...(n < teacherSteps && phase !== 'teacher' ? [['distilled student', distilled.dir, { sampler: 'distilled', steps: n }]] : []),
  ];
  for (const [model, dir, sampler] of variants) {
    log(`evaluating ${model}, ${n} calls per state`);
    const { dir: evalDir, summary } = await evaluateRun(dir, { ...protocol, ...sampler });
    evalDirs.push(evalDir);
    rows.push({
      model,
      calls: n,
      horizons: summary.horizons,
      vrmse: mean(summary, 'vrmse'),
      spread_skill: mean(summary, 'spread_skill'),
      crps: mean(summary, 'crps'),
      ms_per_state: summary.speed.seconds_per_state * 1000,
      rollout_ms_per_state: (summary.speed.rollout_seconds / summary.speed.states) * 1000,
      solver_ms_per_state: summary.solver ? summary.solver.seconds_per_state * 1000 : null,
      eval_dir: evalDir,
    });
  }
}

if (phase !== 'all') process.exit(0);
const reference = rows.find((r) => r.model === 'AB3 (teacher)' && r.calls === teacherSteps);
const fmt = (x, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const heads = reference.horizons.map(([a, b]) => `${a}:${b}`);
const lines = [
  `| model | calls/state | VRMSE ${heads.join(' | VRMSE ')} | spread/skill ${heads.join(' | s/s ')} | CRPS ${heads.join(' | CRPS ')} | ms/state | ×AB3@${teacherSteps} |`,
  `|---|---|${'---|'.repeat(3 * heads.length + 2)}`,
  ...rows.map(
    (r) =>
      `| ${r.model} | ${r.calls} | ${r.vrmse.map((v) => fmt(v)).join(' | ')} | ${r.spread_skill.map((v) => fmt(v, 2)).join(' | ')} | ${r.crps.map((v) => fmt(v)).join(' | ')} | ${fmt(r.ms_per_state, 1)} | ${fmt(reference.ms_per_state / r.ms_per_state, 2)} |`,
  ),
];
// The issue's goal: 4 calls within 10 % of the 16-step teacher's VRMSE at every horizon, spread/skill in 0.7–1.3.
const goal = rows
  .filter((r) => r.model === 'distilled student')
  .map((r) => {
    const within = r.vrmse.every((v, h) => v !== null && reference.vrmse[h] !== null && v <= 1.1 * reference.vrmse[h]);
    const calibrated = r.spread_skill.every((v) => v !== null && v >= 0.7 && v <= 1.3);
    return `student ${r.calls} calls: VRMSE within 10 % of AB3@${teacherSteps} at every horizon: ${within ? 'yes' : 'no'} (ratios ${r.vrmse.map((v, h) => fmt(v / reference.vrmse[h], 2)).join(', ')}); spread/skill in 0.7–1.3: ${calibrated ? 'yes' : 'no'}`;
  });
const solver = rows.map((r) => r.solver_ms_per_state).filter((x) => x !== null);
if (solver.length) lines.push('', `built-in solver: ${fmt(solver.reduce((a, b) => a + b, 0) / solver.length, 1)} ms per emulated state (mean of ${solver.length} measurements in this run)`);
const result = { date: new Date().toISOString(), run, distill_dir: distilled.dir, protocol, threads: process.env.LATENT_EMULATOR_THREADS ?? null, rows, goal };
writeFileSync(join(out, 'distill-curve.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(out, 'distill-curve.md'), `${lines.join('\n')}\n\n${goal.map((g) => `- ${g}`).join('\n')}\n`);
await writeReport(evalDirs, join(out, 'distill-curve.html'), { title: 'Distilled student vs the teacher\'s samplers: accuracy against denoiser calls per state' });
console.log(lines.join('\n'));
console.log(goal.join('\n'));
console.log(`written: ${join(out, 'distill-curve.json')}, ${join(out, 'distill-curve.md')}, ${join(out, 'distill-curve.html')} (the report of every evaluation)`);
