// Data-parallel training over c10d Gloo on 127.0.0.1 (2 ranks on this machine's CPU): the same weights as
// one process with the whole batch, identical weights on every rank, the launcher's failure propagation.
import { join } from 'node:path';

import { tempDir } from '../train/fixtures.js';
import { CLI, freePort, maxRelativeDifference, run, tensorBytes, tensors } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('le-dp-')));
afterAll(() => cleanup());

const WORKER = 'tests/launch/dp-worker.mjs';

describe.each(['ae', 'denoiser'])('%s: 2 ranks × batch 4 = 1 rank × batch 8', (model) => {
  test('same weights within float tolerance after 4 steps; bit-identical across ranks', async () => {
    const alone = join(dir, `${model}-alone`);
    const parallel = join(dir, `${model}-parallel`);
    const one = await run([WORKER], { MODEL: model, OUT: (await mk(alone)), STEPS: '4' });
    if (one.code !== 0) throw new Error(`alone: exit ${one.code}: ${one.err}`);
    const port = await freePort();
    const two = await run([CLI, 'launch', '--nproc-per-node', '2', '--master-port', String(port), '--', 'node', WORKER], { MODEL: model, OUT: await mk(parallel), STEPS: '4' });
    if (two.code !== 0) throw new Error(`2 ranks: exit ${two.code}: ${two.err}`);

    const r0 = join(parallel, `${model}-rank0.safetensors`);
    const r1 = join(parallel, `${model}-rank1.safetensors`);
    expect(tensorBytes(r1)).toEqual(tensorBytes(r0));
    const single = tensors(join(alone, `${model}-rank0.safetensors`));
    expect(maxRelativeDifference(single, tensors(r0))).toBeLessThan(1e-4);  // the all-reduce sums in another order than one batch's mean
    // ...and the steps did move the weights: the comparison is not between two untouched models.
    const lossesAlone = JSON.parse(one.out).losses as number[];
    const lossesParallel = JSON.parse(two.out).losses as number[];
    expect(lossesParallel.length).toBe(4);
    for (let k = 0; k < 4; k++) expect(lossesParallel[k]).toBeCloseTo(lossesAlone[k]!, 4);
    expect(lossesAlone[3]).not.toBeCloseTo(lossesAlone[0]!, 3);
    const stats = JSON.parse(two.out).stats as { allReduces: number; bytesAllReduced: number };
    expect(stats.allReduces).toBe(4);
  }, 120_000);
});

async function mk(path: string): Promise<string> {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path, { recursive: true });
  return path;
}

describe('launch', () => {
  test('one rank failing stops the others and fails naming it', async () => {
    const port = await freePort();
    const script = "if (process.env.RANK === '1') setTimeout(() => process.exit(3), 200); else setTimeout(() => {}, 60000);";
    const r = await run([CLI, 'launch', '--nproc-per-node', '2', '--master-port', String(port), '--grace-period', '2', '--', 'node', '-e', script]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/rank 1 \(local rank 1, pid \d+\) exited with code 3/);
    expect(r.seconds).toBeLessThan(20);
  }, 30_000);

  test("sets torchrun's variables for every rank", async () => {
    const script = 'console.log([process.env.RANK, process.env.LOCAL_RANK, process.env.WORLD_SIZE, process.env.LOCAL_WORLD_SIZE, process.env.MASTER_ADDR, process.env.MASTER_PORT].join(" "))';
    const r = await run([CLI, 'launch', '--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '1', '--master-addr', 'node0', '--master-port', '1234', '--', 'node', '-e', script]);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').sort()).toEqual(['2 0 4 2 node0 1234', '3 1 4 2 node0 1234']);
  }, 30_000);

  test('bad flags are refused before anything starts', async () => {
    const r = await run([CLI, 'launch', '--nproc-per-node', '0', '--', 'node', '-e', '']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--nproc-per-node must be an integer in \[1, /);
  }, 30_000);
});
