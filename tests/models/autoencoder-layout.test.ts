// The DCAE runs channels-last inside (native/nn/dcae.cc); LATENT_EMULATOR_CHANNELS_LAST=0 keeps the plain
// layout. Both layouts must compute the same function: the same seeded models give the same latents,
// reconstructions, loss and post-step weights in float32 (to rounding), in 2-D, 3-D and with periodic padding.
import { spawnSync } from 'node:child_process';

const root = process.cwd(); // jest runs from the package root

// Runs in a child process (the layout is chosen once per process) against the built package (dist/).
const script = `
import { Autoencoder } from './dist/models/autoencoder.js';
import { manualSeed, setNumThreads } from './dist/runtime.js';
import { tensor } from './dist/tensor.js';
setNumThreads(1);
const configs = {
  plain2d: { pix_channels: 3, lat_channels: 4, hid_channels: [4, 8], hid_blocks: [1, 1], dropout: 0 },
  periodic2d: { pix_channels: 3, lat_channels: 4, hid_channels: [4, 8], hid_blocks: [1, 1], dropout: 0, periodic: true, pixel_shuffle: false },
  plain3d: { pix_channels: 2, lat_channels: 4, hid_channels: [4, 8], hid_blocks: [1, 1], dropout: 0, spatial: 3 },
};
const out = {};
for (const [name, config] of Object.entries(configs)) {
  manualSeed(3);
  const ae = Autoencoder.create(config).eval();
  const shape = config.spatial === 3 ? [2, config.pix_channels, 8, 8, 8] : [2, config.pix_channels, 16, 16];
  const x = tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(0.37 * i) + 0.2 * Math.cos(0.05 * i)), shape);
  const z = await ae.encode(x);
  const y = await ae.decode(z);
  ae.configureOptimizer({ lr: 1e-2 });
  const step = await ae.trainStep(x, 1e-2);
  const after = await ae.train(false).encode(x);
  out[name] = { z: Array.from(z.dataSync()), y: Array.from(y.dataSync()), loss: step.loss, after: Array.from(after.dataSync()) };
}
console.log(JSON.stringify(out));
`;

function run(channelsLast: boolean): Record<string, { z: number[]; y: number[]; loss: number; after: number[] }> {
  const env = { ...process.env, LATENT_EMULATOR_CHANNELS_LAST: channelsLast ? '1' : '0' };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const maxAbs = (a: number[]) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

test('channels-last and the plain layout give the same float32 encode, decode, loss and train step', () => {
  const cl = run(true);
  const plain = run(false);
  for (const name of ['plain2d', 'periodic2d', 'plain3d']) {
    const a = cl[name]!, b = plain[name]!;
    expect(a.z.length).toBe(b.z.length);
    expect(maxAbs(b.z)).toBeGreaterThan(0.1); // a real signal, not zeros
    expect(maxDiff(a.z, b.z)).toBeLessThanOrEqual(1e-5 * maxAbs(b.z));
    expect(maxDiff(a.y, b.y)).toBeLessThanOrEqual(1e-5 * maxAbs(b.y));
    expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(b.loss));
    // One AdamW step at lr 1e-2 moves the latents: the same gradients moved them the same way.
    expect(maxDiff(b.after, b.z)).toBeGreaterThan(1e-3);
    expect(maxDiff(a.after, b.after)).toBeLessThanOrEqual(1e-4 * maxAbs(b.after));
  }
}, 240_000);
