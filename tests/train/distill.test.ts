// `distill` end to end on tiny sizes: a tiny diffusion run distilled 4 → 2 → 1 steps; the distill directory; an
// interrupted and resumed distillation ends with the same students as an uninterrupted one; eval with
// --sampler distilled; the errors that name what to give instead.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { evaluateRun } from '../../lib/eval/evaluate.js';
import { Denoiser } from '../../lib/models/denoiser.js';
import { distillRounds, distillRun, type DistillOptions } from '../../lib/train/distill.js';
import { runCli } from '../run-cli.js';
import { TINY_VIT, trainTinyAutoencoder, trainTinyEmulator } from './emulator-fixtures.js';
import { tempDir, checkpointTensors } from './fixtures.js';

let root: string;
let cleanup: () => void;
let teacherRun: string;
const quiet = { progress: 'none' as const, log: () => {} };

beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-distill-'));
  const aeRun = await trainTinyAutoencoder(root);
  teacherRun = await trainTinyEmulator('diffusion', aeRun, root, join(root, 'runs', 'teacher'), {
    model: { ...TINY_VIT, hid_blocks: 1, dropout: 0.05 },
    optim: { learning_rate: 2e-3, scheduler: 'cosine', warmup: 1, grad_clip: 1 },
  });
});
afterAll(() => cleanup());

const settings = (out: string): DistillOptions => ({ steps: 1, teacherSteps: 4, iterationsPerRound: 3, epochsPerRound: 1, batchSize: 4, out: join(root, out), ...quiet });

test('the rounds halve the steps; other step counts are refused', () => {
  expect(distillRounds(16, 4)).toEqual([8, 4]);
  expect(distillRounds(16, 1)).toEqual([8, 4, 2, 1]);
  expect(() => distillRounds(16, 3)).toThrow(/--steps 3 is not reached by halving --teacher-steps 16/);
  expect(() => distillRounds(16, 16)).toThrow(/not reached by halving/);
});

test('a distillation interrupted mid-run and resumed ends with the students of an uninterrupted one', async () => {
  const straight = await distillRun(teacherRun, settings('straight'));
  expect(straight.completed).toBe(true);
  expect(Object.keys(straight.students).map(Number).sort()).toEqual([1, 2]);
  const dir = straight.dir;
  for (const f of ['config.yaml', 'cache.json', 'distill.json', 'round-2/metrics.jsonl', 'round-1/metrics.jsonl', 'students/steps-2.json', 'students/steps-1.safetensors'])
    expect(existsSync(join(dir, f))).toBe(true);
  const info = JSON.parse(readFileSync(join(dir, 'distill.json'), 'utf8'));
  expect(info).toMatchObject({ teacher_steps: 4, steps: 1, rounds: [2, 1], iterations_per_round: 3 });
  const student = await Denoiser.fromWeights(straight.students[1]!);
  expect(student.distilledSteps).toBe(1);

  // Stopped after 4 steps: round 2 (3 steps) finished, round 1 stopped after its first step.
  const first = await distillRun(teacherRun, { ...settings('resumed'), stopAfterSteps: 4 });
  expect(first.stopped).toBe(true);
  expect(Object.keys(first.students)).toEqual(['2']);
  const rounds: Array<{ steps: number; skipped: boolean }> = [];
  const second = await distillRun(teacherRun, { ...settings('resumed'), onRound: (r) => rounds.push(r) });
  expect(second.completed).toBe(true);
  expect(rounds).toEqual([{ steps: 2, teacherSteps: 4, skipped: true }, { steps: 1, teacherSteps: 2, skipped: false }]);
  expect(second.loops[1]!.resumedFrom).toBeDefined();
  for (const steps of [2, 1]) {
    const a = checkpointTensors(straight.students[steps]!), b = checkpointTensors(second.students[steps]!);
    expect(a.size).toBeGreaterThan(10);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(Buffer.compare(b.get(k)!, v)).toBe(0);
  }
  // The student moved away from its teacher.
  const t = checkpointTensors(join(teacherRun, 'state.safetensors')), s = checkpointTensors(straight.students[1]!);
  const key = [...s.keys()].find((k) => k.includes('backbone') && k.endsWith('weight'))!;
  expect(Buffer.compare(s.get(key)!, t.get(key)!)).not.toBe(0);

  // Other settings in the same directory are refused, naming the difference.
  await expect(distillRun(teacherRun, { ...settings('straight'), iterationsPerRound: 5 })).rejects.toThrow(/iterations_per_round: 3 there, 5 now/);
});

test('eval on the distill directory with --sampler distilled; other samplers and steps are told where to go', async () => {
  const dir = join(root, 'straight');
  const { summary } = await evaluateRun(dir, { trajectories: 1, samples: 2, sampler: 'distilled', steps: 1, solverSpeed: false, baselines: false, split: 'valid' });
  expect(summary.protocol.sampler).toBe('distilled');
  expect(summary.by_horizon.vrmse!.mean!.every((v) => v === null || Number.isFinite(v))).toBe(true);
  await expect(evaluateRun(dir, { trajectories: 1, samples: 2, sampler: 'ab', steps: 16, solverSpeed: false, split: 'valid' })).rejects.toThrow(
    /is a distillation \(students for 2, 1 steps\): use --sampler distilled --steps N, or the teacher run/,
  );
  await expect(evaluateRun(dir, { trajectories: 1, samples: 2, sampler: 'distilled', steps: 4, solverSpeed: false, split: 'valid' })).rejects.toThrow(
    /no distilled student for 4 steps here \(finished: 2, 1/,
  );
  await expect(evaluateRun(teacherRun, { trajectories: 1, samples: 2, sampler: 'distilled', steps: 1, solverSpeed: false, split: 'valid' })).rejects.toThrow(
    /sampler 'distilled' needs a distill directory/,
  );
});

test('the CLI: distill resumes a finished directory; bad flags name the flag', async () => {
  const r = await runCli('distill', teacherRun, '--steps', '1', '--teacher-steps', '4', '--iterations-per-round', '3', '--epochs-per-round', '1', '--batch-size', '4', '--out', join(root, 'straight'), '--progress', 'none');
  expect(r.code ?? 0).toBe(0);
  expect(r.err).toMatch(/round 4 → 2 steps: finished earlier, kept/);
  expect(r.out.trim()).toBe(join(root, 'straight'));
  const bad = await runCli('distill', teacherRun, '--steps', '3');
  expect(bad.code).not.toBe(0);
  expect(bad.err).toMatch(/--steps 3 is not reached by halving --teacher-steps 16/);
  const surrogate = await runCli('distill', join(root, 'straight'), '--steps', '1');
  expect(surrogate.err).toMatch(/is itself a distill directory/);
});
