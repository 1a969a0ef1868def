// libtorch's profiler driven from C++ (native/core/op_profiler.h): the operators of a known computation come
// back with their exact call counts, self ≤ total times, shares that add up, and misuse is refused.
import { Autoencoder } from '../../lib/models/autoencoder.js';
import { native } from '../../lib/native/loader.js';
import { profileOps, type OpProfile } from '../../lib/profile.js';
import { tensor } from '../../lib/tensor.js';

const byName = (p: OpProfile, name: string) => p.ops.find((o) => o.name === name);

test('a matmul probe shows up as aten::mm with its exact call count', async () => {
  // matmulPeak(n, dtype, iterations): two randn inputs, one warm-up mm, then `iterations` mms.
  const p = await profileOps(() => native().matmulPeak(32, 'float32', 3));
  expect(byName(p, 'aten::mm')?.calls).toBe(4);
  expect(byName(p, 'aten::randn')?.calls).toBe(2);
  for (const op of p.ops) {
    expect(op.calls).toBeGreaterThanOrEqual(1);
    expect(op.selfMs).toBeGreaterThanOrEqual(0);
    expect(op.selfMs).toBeLessThanOrEqual(op.totalMs + 1e-9);
  }
  // randn's total includes its callees (aten::empty, aten::normal_): more than its own self time.
  expect(byName(p, 'aten::randn')!.totalMs).toBeGreaterThan(byName(p, 'aten::randn')!.selfMs);
  expect(p.ops.reduce((s, o) => s + o.share, 0)).toBeCloseTo(1, 6);
  expect(p.opsMs).toBeLessThanOrEqual(p.wallMs);
  const sorted = p.ops.map((o) => o.selfMs);
  expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
});

test('with shapes, rows are per operator and inputs: the two 32×32 float32 matrices of the probe', async () => {
  const p = await profileOps(() => native().matmulPeak(32, 'float32', 3), { shapes: true });
  const mm = p.ops.filter((o) => o.name === 'aten::mm');
  expect(mm).toHaveLength(1); // one shape, one row
  expect(mm[0]).toMatchObject({ inputs: '[32, 32] f32, [32, 32] f32', calls: 4 });
  // Without shapes no row has inputs.
  const plain = await profileOps(() => native().matmulPeak(32, 'float32', 1));
  expect(plain.ops.every((o) => o.inputs === undefined)).toBe(true);
});

test('an encode of a one-level DCAE runs its four convolutions', async () => {
  // conv(pix → hid), ResBlock (two convs), conv(hid → lat): 4 × aten::conv2d.
  const ae = Autoencoder.create({ lat_channels: 2, hid_channels: [4], hid_blocks: [1], dropout: 0 }, { pix_channels: 3 }).eval();
  const x = tensor(new Float32Array(2 * 3 * 8 * 8).map((_, i) => Math.sin(i)), [2, 3, 8, 8]);
  await ae.encode(x); // the first call outside the profile
  const p = await profileOps(() => ae.encode(x), { top: 1000 });
  expect(byName(p, 'aten::conv2d')?.calls).toBe(4);
  const top = await profileOps(() => ae.encode(x), { top: 2 });
  expect(top.ops).toHaveLength(2);
});

test('misuse is refused with a clear error, and a failing workload still ends its profile', async () => {
  const addon = native();
  await expect(addon.profilerStop()).rejects.toThrow(/no profile is running/);
  expect(() => addon.profilerStop(0)).toThrow(/top must be a positive integer/);
  await expect(profileOps(async () => undefined, { top: 1.5 })).rejects.toThrow(/top must be a positive integer/);
  await addon.profilerStart();
  await expect(addon.profilerStart()).rejects.toThrow(/already running/);
  await addon.profilerStop();
  await expect(profileOps(() => addon.matmulPeak(-1, 'float32', 1))).rejects.toThrow(/positive/);
  const after = await profileOps(() => addon.matmulPeak(8, 'float32', 1));
  expect(byName(after, 'aten::mm')?.calls).toBe(2);
});
