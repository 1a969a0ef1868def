// The rollout against eager PyTorch (issue 15, "a leaner rollout"): the diffusion emulator's whole rollout — ViT
// vit_tiny_cpu (width 256, 4 blocks, 4 heads), 16 latent channels on 8×8 (320 tokens per window of 5 states), a
// label of 5, K = 4 members in one batch, Adams–Bashforth 3 at 16 steps, 17 states (4 windows, overlap 1: 64
// denoiser calls) — against scripts/bench/eager/vit.py, the same model, sampler and window loop written in eager
// PyTorch (same shapes, dtypes and ops; random weights, timing only), run in a child process on the torch venv
// (scripts/bench/eager/python.mjs) with torch.set_num_threads equal to the package's, under torch.inference_mode.
// Runs alternate package/eager (ABAB…) BENCH_ROLLOUT_REPEATS times (default 3) per precision (BENCH_ROLLOUT_PRECISIONS,
// default float32,bfloat16); the medians give ms per denoiser call and per emulated state, and the ratio
// package/eager (< 1: the package is faster). Also the package's own bf16/fp32 ratio and, per rollout, the
// voluntary context switches of all the process's threads (an idle OpenMP team shows up there).
// The eager child gets the package's malloc settings (scripts/bench/eager/python.mjs; BENCH_EAGER_MALLOC=default
// for glibc's).
// With BENCH_ROLLOUT_TRAIN=1 also the ViT denoiser's train step (batch 16 windows, the first state known; forward,
// backward, grad-norm clipping, AdamW) against the eager twin's, interleaved the same way.
// BENCH_ROLLOUT_STEPS / _LENGTH override the sampler steps and the states. Asserts nothing.
import { readdirSync, readFileSync } from 'node:fs';

import { Denoiser } from '../../dist/models/denoiser.js';
import { native } from '../../dist/native/loader.js';
import { tensor } from '../../dist/tensor.js';
import { TRAIN_WARMUP } from './dcae-eager.mjs';
import { EAGER_MALLOC, eagerPython, startEager } from './eager/python.mjs';

const SHAPE = {
  preset: 'vit_tiny_cpu',
  channels: 16,
  label_features: 5,
  spatial: 2,
  space: [8, 8],
  hid_channels: 256,
  hid_blocks: 4,
  attention_heads: 4,
  ffn_factor: 4,
  emb_features: 128,
  window: 5,
  members: 4,
  order: 3,
  steps: Number(process.env.BENCH_ROLLOUT_STEPS ?? 16),
  length: Number(process.env.BENCH_ROLLOUT_LENGTH ?? 17),
};
const REPEATS = Number(process.env.BENCH_ROLLOUT_REPEATS ?? 3);
const TRAIN = process.env.BENCH_ROLLOUT_TRAIN === '1';
const TRAIN_BATCH = 16;
const PRECISIONS = (process.env.BENCH_ROLLOUT_PRECISIONS ?? 'float32,bfloat16').split(',');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function values(n, seed) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.013 + seed) + 0.1 * Math.cos(i * 0.37);
  return out;
}

/** Voluntary context switches summed over this process's threads. */
function contextSwitches() {
  let n = 0;
  for (const task of readdirSync('/proc/self/task')) {
    try {
      const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${task}/status`, 'utf8'));
      if (m) n += Number(m[1]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return n;
}

/** The benchmark's denoiser (random weights) in eval mode. */
export function rolloutModel(precision) {
  return Denoiser.create(SHAPE.preset, {
    channels: SHAPE.channels,
    label_features: SHAPE.label_features,
    spatial: SHAPE.spatial,
    precision,
    overrides: { hid_channels: SHAPE.hid_channels, hid_blocks: SHAPE.hid_blocks, attention_heads: SHAPE.attention_heads, emb_features: SHAPE.emb_features },
  }).eval();
}

/** The context state, label and rollout options of the benchmark, and its window length (states per window). */
export function rolloutInputs() {
  const { channels: C, space, label_features: D, members: K } = SHAPE;
  return {
    window: SHAPE.window,
    context: tensor(values(C * space[0] * space[1], 1), [1, 1, C, ...space]),
    label: tensor(values(D, 2), [D]),
    options: { length: SHAPE.length, members: K, sampler: 'ab', order: SHAPE.order, steps: SHAPE.steps, seed: 1 },
  };
}

export async function run(report) {
  const threads = native().getNumThreads();
  const { python: py, reason } = eagerPython();
  if (!py) console.log(`  ${reason}`);
  const { channels: C, space, label_features: D, members: K } = SHAPE;
  const { context, label, options } = rolloutInputs();
  const emulated = K * (SHAPE.length - 1);
  const results = { shape: SHAPE, threads, repeats: REPEATS, eager_malloc: EAGER_MALLOC };
  console.log(
    `rollout ${SHAPE.preset} w${SHAPE.hid_channels}×${SHAPE.hid_blocks}, ${C}×${space.join('×')} latents, K=${K}, AB${SHAPE.order} ${SHAPE.steps} steps, ` +
      `${SHAPE.length} states, ${threads} thread(s), ${REPEATS} interleaved repeats (medians), eager with ${EAGER_MALLOC === 'default' ? "glibc's default" : "the package's"} malloc settings`,
  );
  for (const precision of PRECISIONS) {
    const model = rolloutModel(precision);
    await model.rollout(context, label, { ...options, length: SHAPE.window, steps: 1 }); // warm-up
    const eager = py ? await startEager('vit.py', [JSON.stringify({ ...SHAPE, precision })], { threads }) : null;
    const ours = [], theirs = [], switches = [];
    let calls = 0;
    for (let i = 0; i < REPEATS; i++) {
      const before = contextSwitches();
      const r = await model.rollout(context, label, options);
      switches.push(contextSwitches() - before);
      r.states.dispose();
      ours.push(r.seconds);
      calls = r.evaluations;
      if (eager) {
        const e = await eager.request({ op: 'rollout' });
        if (e.evaluations !== calls) throw new Error(`eager rollout made ${e.evaluations} denoiser calls, the package ${calls}`);
        theirs.push(e.seconds);
      }
    }
    if (TRAIN) {
      const n = TRAIN_BATCH * SHAPE.window * C * space[0] * space[1];
      const windows = { state: tensor(values(n, 3), [TRAIN_BATCH, SHAPE.window, C, ...space]), label: tensor(values(TRAIN_BATCH * D, 4), [TRAIN_BATCH, D]) };
      model.train(true);
      // Warm-up on both sides: the first steps grow malloc's heaps and the optimizer's state (steady after ~3–5).
      for (let i = 0; i < TRAIN_WARMUP; i++) {
        await model.trainStep(windows, 1e-4);
        if (eager) await eager.request({ op: 'train' });
      }
      const mine = [], other = [];
      for (let i = 0; i < REPEATS; i++) {
        const t0 = process.hrtime.bigint();
        await model.trainStep(windows, 1e-4);
        mine.push(Number(process.hrtime.bigint() - t0) / 1e9);
        if (eager) other.push((await eager.request({ op: 'train' })).seconds);
      }
      model.eval();
      results[`${precision}_train`] = {
        batch: TRAIN_BATCH,
        step_ms: +(median(mine) * 1000).toFixed(1),
        ...(eager ? { eager_step_ms: +(median(other) * 1000).toFixed(1), ratio_vs_eager: +(median(mine) / median(other)).toFixed(3) } : {}),
      };
      const t = results[`${precision}_train`];
      console.log(`  ${precision.padEnd(9)} train step b${TRAIN_BATCH}: package ${t.step_ms} ms` + (eager ? `; eager ${t.eager_step_ms} ms; package/eager ${t.ratio_vs_eager}` : ''));
    }
    await eager?.close();
    model.dispose?.();
    const row = {
      calls,
      ms_per_call: +((median(ours) / calls) * 1000).toFixed(2),
      ms_per_state: +((median(ours) / emulated) * 1000).toFixed(2),
      context_switches_per_rollout: median(switches),
      runs_s: ours.map((s) => +s.toFixed(3)),
    };
    if (eager) {
      row.eager_ms_per_call = +((median(theirs) / calls) * 1000).toFixed(2);
      row.eager_ms_per_state = +((median(theirs) / emulated) * 1000).toFixed(2);
      row.eager_runs_s = theirs.map((s) => +s.toFixed(3));
      // Ratio of medians, and the median of the pairwise ratios (each pair ran back to back).
      row.ratio_vs_eager = +(median(ours) / median(theirs)).toFixed(3);
      row.paired_ratio_vs_eager = +median(ours.map((s, i) => s / theirs[i])).toFixed(3);
    }
    results[precision] = row;
    console.log(
      `  ${precision.padEnd(9)} package ${row.ms_per_call} ms/call, ${row.ms_per_state} ms/state (${row.context_switches_per_rollout} ctx switches/rollout)` +
        (eager ? `; eager ${row.eager_ms_per_call} ms/call, ${row.eager_ms_per_state} ms/state; package/eager ${row.ratio_vs_eager} (paired ${row.paired_ratio_vs_eager})` : ''),
    );
  }
  if (results.float32 && results.bfloat16) {
    results.bf16_speedup_vs_fp32 = +(results.float32.ms_per_call / results.bfloat16.ms_per_call).toFixed(2);
    console.log(`  package bf16 vs own fp32: ×${results.bf16_speedup_vs_fp32} (rollout)`);
  }
  if (results.float32_train && results.bfloat16_train) {
    results.bf16_train_speedup_vs_fp32 = +(results.float32_train.step_ms / results.bfloat16_train.step_ms).toFixed(2);
    console.log(`  package bf16 vs own fp32: ×${results.bf16_train_speedup_vs_fp32} (train step)`);
  }
  report('rollout', results);
}
