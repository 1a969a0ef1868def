// Slurm: `srun -n 2` data-parallel training and a 2-stage `latent-emulator slurm` pipeline chained with
// --dependency=afterok, on a one-node cluster this test starts (skipped, saying why, without slurm-wlm).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { stringify } from 'yaml';

import { readPipeline, stageScript } from '../../lib/launch/slurm.js';
import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';
import { CLI, run } from './helpers.js';
import { slurmAbsence, startCluster, waitForJobs, type Cluster } from './slurm-cluster.js';

let root: string;
let cleanup: () => void;
beforeAll(() => ({ dir: root, cleanup } = tempDir('le-slurm-')));
afterAll(() => cleanup());

describe('pipeline files', () => {
  test('scripts carry the resources, srun and the command; errors name the key', () => {
    const path = join(root, 'p.yaml');
    writeFileSync(path, stringify({ name: 'x', resources: { nodes: 2, tasks_per_node: 4, gpus_per_node: 4, time: '1:00:00', partition: 'gpu' }, stages: [{ name: 'ae', command: 'train-ae', args: ['dataset=euler all'] }, { name: 'eval', command: 'eval', args: ['runs/d'], after: ['ae'], resources: { nodes: 1 } }] }));
    const p = readPipeline(path);
    const script = stageScript(p, p.stages[0]!, { dir: '/out', cwd: '/work', cli: ['/usr/bin/node', '/pkg/bin/latent-emulator.js'] });
    expect(script).toContain('#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=4\n#SBATCH --gpus-per-node=4\n#SBATCH --time=1:00:00\n#SBATCH --partition=gpu\n');
    expect(script).toContain("srun --kill-on-bad-exit=1 /usr/bin/node /pkg/bin/latent-emulator.js train-ae 'dataset=euler all'\n");
    expect(stageScript(p, p.stages[1]!, { dir: '/out', cwd: '/work', cli: ['le'] })).toContain('#SBATCH --nodes=1\n');

    writeFileSync(path, stringify({ name: 'x', stages: [{ name: 'a', command: 'eval', after: ['b'] }] }));
    expect(() => readPipeline(path)).toThrow(/stage "a" comes after "b", which is not an earlier stage/);
    writeFileSync(path, stringify({ name: 'x', stages: [{ name: 'a', command: 'eval', resources: { gpus: 2 } }] }));
    expect(() => readPipeline(path)).toThrow(/stages\.0\.resources: .*gpus/);
  });
});

const absent = slurmAbsence();
if (absent) console.warn(`slurm tests skipped: ${absent}`);
(absent ? describe.skip : describe)('on a one-node Slurm cluster', () => {
  let cluster: Cluster;
  let preset: string;
  beforeAll(async () => {
    cluster = await startCluster(join(root, 'cluster'));
    await writeWaves(join(root, 'data'));
    preset = join(root, 'run.yaml');
    const config = wavesRun(join(root, 'data'), join(root, 'runs')) as { train: Record<string, unknown> };
    config.train = { ...config.train, epochs: 1, epoch_size: 2, batch_size: 4 };
    writeFileSync(preset, stringify(config));
  }, 60_000);
  afterAll(async () => cluster?.stop());

  test('srun -n 2 trains as 2 ranks', async () => {
    const runDir = join(root, 'runs', 'srun');
    const r = await run(['srun', '-n', '2', process.execPath, resolve(CLI), 'train-ae', '--config', preset, '--run-dir', runDir, '--progress', 'lines'], cluster.env);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(runDir);  // rank 0 alone prints
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(runDir, 'state.safetensors'))).toBe(true);
  }, 180_000);

  test('a 2-stage pipeline: the second stage starts after the first succeeded', async () => {
    const runDir = join(root, 'runs', 'pipeline-ae');
    const pipeline = join(root, 'pipeline.yaml');
    writeFileSync(
      pipeline,
      stringify({
        name: 'test',
        dir: join(root, 'jobs'),
        resources: { nodes: 1, tasks_per_node: 2 },
        stages: [
          { name: 'ae', command: 'train-ae', args: ['--config', preset, '--run-dir', runDir, '--progress', 'none'] },
          { name: 'cache', command: 'cache-latents', args: [runDir, '--split', 'valid'], after: ['ae'], resources: { tasks_per_node: 1 } },
        ],
      }),
    );
    const dry = await run([CLI, 'slurm', pipeline, '--dry-run'], cluster.env);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/# submit: sbatch --parsable --dependency=afterok:<ae> .*cache\.sbatch/);
    const r = await run([CLI, 'slurm', pipeline], cluster.env);
    expect(r.code).toBe(0);
    const ids = Object.fromEntries(r.out.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    expect(Object.keys(ids)).toEqual(['ae', 'cache']);
    await waitForJobs(cluster, Object.values(ids), 150_000);
    const cacheOut = readFileSync(join(root, 'jobs', `cache-${ids.cache}.out`), 'utf8');
    expect(cacheOut).toContain(join(runDir, 'cache', 'waves', 'valid', 'waves.hdf5'));
    expect(existsSync(join(runDir, 'cache', 'waves', 'valid', 'waves.hdf5'))).toBe(true);
  }, 240_000);
});
