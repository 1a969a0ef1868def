// Memory and scheduling behaviour of native calls (issue 11's RSS growth, issue 15's page faults and second
// OpenMP team). For each setting, in a child process of its own:
//   - RSS after 10^4 calls of each kind (small tensor create/dispose, tiny encode, 1 MB tensor create + copy
//     on the compute thread), against RSS after a warm-up of as many calls; target: within ±5 %;
//   - voluntary context switches (all threads, /proc/self/task/*/status) and minor page faults
//     (/proc/self/stat) per DCAE train step and per rollout.
// Settings: "package" (the JS thread pinned to one OpenMP thread, a 64 MiB malloc top pad that keeps the
// compute thread's arena heaps; the caching CPU allocator only where LATENT_EMULATOR_CPU_CACHE_MB is set) against
// "glibc" (LATENT_EMULATOR_CPU_CACHE_MB=0 LATENT_EMULATOR_PIN_JS_OPENMP=0 LATENT_EMULATOR_MALLOC_TOP_PAD_MB=0,
// the behaviour before those fixes).
// BENCH_MEMORY_CALLS changes the 10^4.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CALLS = Number(process.env.BENCH_MEMORY_CALLS ?? 10_000);
const SETTINGS = {
  package: {},
  glibc: { LATENT_EMULATOR_CPU_CACHE_MB: '0', LATENT_EMULATOR_PIN_JS_OPENMP: '0', LATENT_EMULATOR_MALLOC_TOP_PAD_MB: '0' },
};

function rssBytes() {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
}

/** Voluntary context switches summed over the process's threads (a sleeping OpenMP worker waking is one). */
function voluntarySwitches() {
  let n = 0;
  for (const task of readdirSync('/proc/self/task')) {
    try {
      n += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${task}/status`, 'utf8'))[1]);
    } catch {
      // the thread exited meanwhile
    }
  }
  return n;
}

/** Minor page faults of the whole process (field 10 of /proc/self/stat). */
function minorFaults() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

/** A full GC, and the finalizers it queued run (Node-API finalizers run after the GC, on the loop). */
async function settle() {
  for (let i = 0; i < 2; i++) {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function measure() {
  const { Autoencoder } = await import('../../dist/models/autoencoder.js');
  const { Denoiser } = await import('../../dist/models/denoiser.js');
  const { tensor } = await import('../../dist/tensor.js');
  const { setNumThreads } = await import('../../dist/runtime.js');
  setNumThreads(Number(process.env.BENCH_THREADS ?? 2));
  const out = { rss: {}, per_step: {} };

  const small = new Float32Array(256);
  const mega = new Float32Array(256 * 1024); // 1 MiB
  const tiny = Autoencoder.create({ name: 'tiny', lat_channels: 4, hid_channels: [16, 32], hid_blocks: [1, 1], pix_channels: 3 }).eval();
  const x16 = tensor(Float32Array.from({ length: 3 * 16 * 16 }, (_, i) => Math.sin(i)), [1, 3, 16, 16]);
  const kinds = {
    'JS only (a 1 KiB typed array, baseline)': async () => {
      const a = new Float32Array(256);
      a[0] = 1;
    },
    'tensor create/dispose (1 KiB)': async () => tensor(small, [256]).dispose(),
    'encode (tiny AE, 16²)': async () => (await tiny.encode(x16)).dispose(),
    'tensor create + copy (1 MiB)': async () => {
      const t = tensor(mega, [256, 1024]);
      const c = await t.to('cpu', 'float32');
      t.dispose();
      c.dispose();
    },
  };
  for (const [name, call] of Object.entries(kinds)) {
    // Warm-up as long as the measurement: V8's own heap keeps growing over the first ~10^4 calls of any
    // loop (the JS-only row shows it), which is not native memory.
    const warm = CALLS;
    for (let i = 0; i < warm; i++) await call();
    await settle();
    const start = rssBytes();
    for (let i = 0; i < CALLS; i++) await call();
    await settle();
    const end = rssBytes();
    out.rss[name] = { calls: CALLS, start_mib: +(start / 2 ** 20).toFixed(1), end_mib: +(end / 2 ** 20).toFixed(1), growth: +((end - start) / start).toFixed(4) };
  }

  // Per DCAE train step (b 4, 5×64², 32-64-128 × 2-2-2, as issue 15's profile) and per rollout.
  const ae = Autoencoder.create({ name: 'b', lat_channels: 16, hid_channels: [32, 64, 128], hid_blocks: [2, 2, 2], pix_channels: 5 });
  ae.configureOptimizer({ lr: 1e-5 });
  const x = tensor(Float32Array.from({ length: 4 * 5 * 64 * 64 }, (_, i) => Math.sin(i * 0.01)), [4, 5, 64, 64]);
  const den = Denoiser.create({ channels: 16, label_features: 5, spatial: 2, hid_channels: 64, hid_blocks: 2, attention_heads: 4, ffn_factor: 2, emb_features: 32, dropout: 0 });
  const ctx = tensor(Float32Array.from({ length: 16 * 8 * 8 }, (_, i) => Math.cos(i)), [1, 1, 16, 8, 8]);
  const label = tensor(new Float32Array(5), [5]);
  const work = {
    'DCAE train step': { n: 5, call: () => ae.trainStep(x, 1e-5) },
    'rollout (AB 16 steps, 17 states, 4 members)': { n: 3, call: async () => (await den.rollout(ctx, label, { length: 17, members: 4, steps: 16, seed: 1 })).states.dispose() },
  };
  for (const [name, { n, call }] of Object.entries(work)) {
    await call(); // warm-up
    const s0 = voluntarySwitches();
    const f0 = minorFaults();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await call();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    out.per_step[name] = { voluntary_switches: Math.round((voluntarySwitches() - s0) / n), minor_faults: Math.round((minorFaults() - f0) / n), seconds: +(seconds / n).toFixed(3) };
  }
  return out;
}

export async function run(report) {
  const results = {};
  for (const [setting, env] of Object.entries(SETTINGS)) {
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`memory bench (${setting}) failed: ${child.stderr.slice(-2000)}`);
    results[setting] = JSON.parse(child.stdout.trim().split('\n').pop());
  }
  for (const [setting, r] of Object.entries(results)) {
    console.log(`${setting}:`);
    for (const [name, v] of Object.entries(r.rss)) console.log(`  RSS ${name.padEnd(32)} ${v.start_mib} → ${v.end_mib} MiB after ${v.calls} calls (${(100 * v.growth).toFixed(1)} %)`);
    for (const [name, v] of Object.entries(r.per_step)) console.log(`  per ${name.padEnd(44)} ${String(v.voluntary_switches).padStart(6)} voluntary switches ${String(v.minor_faults).padStart(7)} minor faults ${v.seconds} s`);
  }
  const ratio = {};
  for (const name of Object.keys(results.package.per_step)) {
    const a = results.package.per_step[name];
    const b = results.glibc.per_step[name];
    ratio[name] = { seconds: +(a.seconds / b.seconds).toFixed(3), minor_faults: +(a.minor_faults / Math.max(1, b.minor_faults)).toFixed(3), voluntary_switches: +(a.voluntary_switches / Math.max(1, b.voluntary_switches)).toFixed(3) };
    console.log(`  package / glibc, ${name}: time ${ratio[name].seconds}, minor faults ${ratio[name].minor_faults}, voluntary switches ${ratio[name].voluntary_switches}`);
  }
  report('memory', { ...results, package_over_glibc: ratio });
}

if (process.argv[2] === '--child') console.log(JSON.stringify(await measure()));
