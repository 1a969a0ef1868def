// The DCAE of issue 15 (b 8, 5×64², hid 32-64-128 × 2-2-2) in this package and in eager PyTorch
// (scripts/bench/eager/dcae.py, the same layers; plain layout as the reference code, and channels-last as a
// PyTorch user could add), same thread count, runs interleaved ABCABC… so that the shared machine's load
// hits all alike. Reports medians as ratios only: package / eager per workload and
// precision (< 1: the package is faster), each side's bf16 speedup over its own fp32, and each side's share
// of the matmul peak of the same precision measured in this run. Without the torch venv
// (node scripts/torchrun-venv.mjs) the eager columns are skipped with a message.
import { Autoencoder } from '../../dist/models/autoencoder.js';
import { autoencoderFlops } from '../../dist/models/flops.js';
import { native } from '../../dist/native/loader.js';
import { getNumThreads } from '../../dist/runtime.js';
import { tensor } from '../../dist/tensor.js';
import { eagerPython, startEager } from './eager/python.mjs';

export const DCAE_SHAPE = [8, 5, 64, 64];
export const DCAE_OVERRIDES = { hid_channels: [32, 64, 128], hid_blocks: [2, 2, 2], lat_channels: 16 };
const PRESET = 'dcae_f8c16_cpu'; // the rest of the config (kernel 3, stride 2, pixel shuffle, dropout 0.05, softclip2, vrmse)
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const ITERS = { train: 1, encode: 3, decode: 3 };
const PRECISIONS = ['float32', 'bfloat16'];
/** Train steps run before timing, on every side (malloc's heaps and the optimizer state settle within ~3–5). */
export const TRAIN_WARMUP = Number(process.env.BENCH_TRAIN_WARMUP ?? 3);

/** The input the package and dcae.py both use: sin(0.01 i) + 0.1 cos(0.37 i) over the flat index. */
export function dcaeInput(shape = DCAE_SHAPE) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.01) + 0.1 * Math.cos(i * 0.37);
  return tensor(data, shape);
}

export function dcaeModel(precision) {
  const ae = Autoencoder.create(PRESET, { pix_channels: DCAE_SHAPE[1], precision, overrides: DCAE_OVERRIDES });
  ae.configureOptimizer({ lr: 1e-5 });
  return ae;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x, d = 2) => (x === undefined ? '—' : x.toFixed(d));

export async function run(report) {
  const addon = native();
  const threads = getNumThreads();
  const peaks = {};
  for (const p of PRECISIONS) {
    peaks[p] = 0;
    for (let i = 0; i < 3; i++) peaks[p] = Math.max(peaks[p], await addon.matmulPeak(1024, p, p === 'float32' ? 4 : 16));
  }
  // A train step leaves the model in training mode (dropout on): encode/decode switch it off, as eval does.
  const models = Object.fromEntries(PRECISIONS.map((p) => [p, dcaeModel(p)]));
  const config = models.float32.config;
  const flops = autoencoderFlops(config, DCAE_SHAPE);
  const x = dcaeInput();
  const z = await models.float32.encode(x);
  const { python, reason } = eagerPython();
  let eager = null;
  if (python) {
    eager = await startEager('dcae.py', [JSON.stringify({ ...config, shape: DCAE_SHAPE })], { threads });
  } else {
    console.log(`  ${reason}`);
  }
  const times = {}; // times[what][precision][side] = seconds per iteration, one per repeat
  const pkg = async (what, p) => (await models[p].train(what === 'train').benchLoop(what === 'decode' ? z : x, what, ITERS[what], 1e-5)) / ITERS[what];
  const eag = async (what, p, cl = false) => (await eager.request({ op: 'time', what, precision: p, iters: ITERS[what], channels_last: cl })).seconds / ITERS[what];
  try {
    for (const what of Object.keys(ITERS))
      for (const p of PRECISIONS) {
        // Warm-up (first-call allocations, oneDNN primitive creation; train steps grow malloc's heaps for a few).
        for (let i = 0; i < (what === 'train' ? TRAIN_WARMUP : 1); i++) {
          await pkg(what, p);
          if (eager) await eag(what, p);
          if (eager) await eag(what, p, true);
        }
      }
    for (let r = 0; r < REPEATS; r++)
      for (const what of Object.keys(ITERS))
        for (const p of PRECISIONS) {
          const slot = ((times[what] ??= {})[p] ??= { package: [], eager: [], eagerCl: [] });
          slot.package.push(await pkg(what, p));
          if (eager) slot.eager.push(await eag(what, p));
          if (eager) slot.eagerCl.push(await eag(what, p, true));
        }
  } finally {
    await eager?.close();
  }
  const rows = {};
  console.log(`DCAE ${DCAE_SHAPE.join('×')} hid ${config.hid_channels.join('-')} × ${config.hid_blocks.join('-')}, ${threads} thread(s), ${REPEATS} interleaved repeats, medians; matmul peak fp32 ${peaks.float32.toFixed(0)} / bf16 ${peaks.bfloat16.toFixed(0)} GFLOP/s (bf16 × fp32 peak ${(peaks.bfloat16 / peaks.float32).toFixed(2)}: bf16 × fp32 of work running at the same share of both peaks)`);
  console.log(`  ${'workload'.padEnd(16)} ${'package/eager'.padStart(13)} ${'/eager NHWC'.padStart(11)} ${'pkg % peak'.padStart(10)} ${'eager % peak'.padStart(12)} ${'pkg bf16 ×'.padStart(10)} ${'eager bf16 ×'.padStart(12)}`);
  for (const what of Object.keys(ITERS)) {
    const f = what === 'train' ? flops.trainStep : flops[what];
    for (const p of PRECISIONS) {
      const t = times[what][p];
      const mp = median(t.package), me = eager ? median(t.eager) : undefined, mc = eager ? median(t.eagerCl) : undefined;
      const fp = times[what].float32;
      const row = {
        package_over_eager: me ? +(mp / me).toFixed(3) : null,
        package_over_eager_channels_last: mc ? +(mp / mc).toFixed(3) : null,
        package_share_of_peak: +(f / mp / 1e9 / peaks[p]).toFixed(3),
        eager_share_of_peak: me ? +(f / me / 1e9 / peaks[p]).toFixed(3) : null,
        package_speedup_over_fp32: +(median(fp.package) / mp).toFixed(3),
        eager_speedup_over_fp32: me ? +(median(fp.eager) / me).toFixed(3) : null,
      };
      rows[`${what}/${p}`] = row;
      console.log(`  ${`${what} ${p}`.padEnd(16)} ${fmt(row.package_over_eager ?? undefined).padStart(13)} ${fmt(row.package_over_eager_channels_last ?? undefined).padStart(11)} ${fmt(100 * row.package_share_of_peak, 1).padStart(10)} ${(row.eager_share_of_peak === null ? '—' : fmt(100 * row.eager_share_of_peak, 1)).padStart(12)} ${fmt(row.package_speedup_over_fp32).padStart(10)} ${fmt(row.eager_speedup_over_fp32 ?? undefined).padStart(12)}`);
    }
  }
  report('dcae-eager', { shape: DCAE_SHAPE, config: DCAE_OVERRIDES, threads, repeats: REPEATS, eager: eager ? eager.ready : reason, matmul_peak_gflops: peaks, matmul_peak_ratio_bf16_over_fp32: +(peaks.bfloat16 / peaks.float32).toFixed(3), rows });
}

if (import.meta.url === `file://${process.argv[1]}`) await run((name, value) => console.log(JSON.stringify({ [name]: value }, null, 2)));
