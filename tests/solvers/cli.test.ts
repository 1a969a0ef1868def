// `latent-emulator generate`: the command writes the same files as the API, resumes, and refuses
// non-physical parameters with a message naming the parameter and its range.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getNumThreads, setNumThreads } from '../../lib/runtime.js';
import { runCli } from '../run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'le-generate-cli-'));
let threads = 1;
beforeAll(() => {
  threads = getNumThreads();
  setNumThreads(1);
});
afterAll(() => {
  setNumThreads(threads);
  rmSync(dir, { recursive: true, force: true });
});

const run = runCli;

test('generate euler_multi_quadrants writes every split, then keeps the files', async () => {
  const args = ['generate', 'euler_multi_quadrants', '--bc', 'periodic', '--resolution', '8', '--trajectories', '3', '--steps', '2', '--gamma', '1.76', '--root', dir];
  const first = await run(...args);
  expect(first.code).toBeUndefined();
  expect(first.out).toMatch(/3 files written, 0 already complete/);
  for (const split of ['train', 'valid', 'test']) {
    expect(existsSync(join(dir, 'datasets', 'euler_multi_quadrants_periodicBC', 'data', split, 'euler_multi_quadrants_periodicBC_gamma_1.76_Ar_-180.hdf5'))).toBe(true);
  }
  expect((await run(...args)).out).toMatch(/0 files written, 3 already complete/);
});

test('generate refuses non-physical parameters', async () => {
  const bad = [
    [['euler_multi_quadrants', '--gamma', '1'], /gamma must be a number > 1/],
    [['euler_multi_quadrants', '--cfl', '1.2'], /cfl must be in \(0, 1\)/],
    [['euler_multi_quadrants', '--resolution', '2'], /resolution must be an integer >= 4/],
    [['euler_multi_quadrants', '--bc', 'reflective'], /--bc must be open or periodic/],
    [['rayleigh_benard', '--rayleigh', '-1e6'], /rayleigh must be a positive number/],
    [['rayleigh_benard', '--resolution', '64'], /--resolution must be NxM/],
    [['rayleigh_benard', '--resolution', '64x2'], /resolution y must be an integer >= 4/],
  ] as const;
  for (const [args, message] of bad) {
    const r = await run('generate', ...args, '--root', join(dir, 'bad'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  }
  expect(existsSync(join(dir, 'bad'))).toBe(false);
});
