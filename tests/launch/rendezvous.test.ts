// Rendezvous from the launchers' variables, the distributed sampler and the launcher's environment.
import { batchPlan } from '../../lib/train/batches.js';
import { rankEnvironment } from '../../lib/launch/launcher.js';
import { defaultThreadsPerRank, firstSlurmHost, rendezvousFromEnv } from '../../lib/launch/rendezvous.js';

describe('rendezvousFromEnv', () => {
  test("torchrun's variables", () => {
    const r = rendezvousFromEnv({ RANK: '3', WORLD_SIZE: '4', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: 'node7', MASTER_PORT: '29400', TORCHELASTIC_USE_AGENT_STORE: 'True', TORCHELASTIC_RESTART_COUNT: '2' });
    expect(r).toEqual({ source: 'torchrun', rank: 3, worldSize: 4, localRank: 1, localWorldSize: 2, masterAddr: 'node7', masterPort: 29400, useAgentStore: true, restartCount: 2 });
  });

  test('torchrun wins over Slurm (torchrun inside an allocation)', () => {
    const r = rendezvousFromEnv({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'a', SLURM_PROCID: '5', SLURM_STEP_NUM_TASKS: '8' });
    expect(r.source).toBe('torchrun');
    expect(r.worldSize).toBe(2);
  });

  test("a Slurm step's variables; the master is the first node, the port derived from the job", () => {
    const r = rendezvousFromEnv({ SLURM_PROCID: '5', SLURM_STEP_NUM_TASKS: '8', SLURM_LOCALID: '1', SLURM_STEP_TASKS_PER_NODE: '4(x2)', SLURM_STEP_NODELIST: 'gpu[03-04]', SLURM_JOB_ID: '123456' });
    expect(r).toEqual({ source: 'slurm', rank: 5, worldSize: 8, localRank: 1, localWorldSize: 4, masterAddr: 'gpu03', masterPort: 15000 + (123456 % 20000), useAgentStore: false, restartCount: 0 });
    expect(rendezvousFromEnv({ SLURM_PROCID: '0', SLURM_STEP_NUM_TASKS: '2', SLURM_STEP_NODELIST: 'n1', MASTER_PORT: '4000' }).masterPort).toBe(4000);
  });

  test('an sbatch script (no step) and no launcher: one process', () => {
    expect(rendezvousFromEnv({ SLURM_PROCID: '0', SLURM_NTASKS: '4', SLURM_JOB_ID: '9' }).source).toBe('single');
    expect(rendezvousFromEnv({})).toMatchObject({ source: 'single', rank: 0, worldSize: 1 });
  });

  test('bad values name the variable', () => {
    expect(() => rendezvousFromEnv({ RANK: 'x', WORLD_SIZE: '2', MASTER_ADDR: 'a' })).toThrow(/RANK="x" is not an integer >= 0/);
    expect(() => rendezvousFromEnv({ RANK: '2', WORLD_SIZE: '2', MASTER_ADDR: 'a' })).toThrow(/RANK=2 is not below WORLD_SIZE=2/);
    expect(() => rendezvousFromEnv({ RANK: '0', WORLD_SIZE: '2' })).toThrow(/MASTER_ADDR is not set/);
    expect(() => rendezvousFromEnv({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'a', MASTER_PORT: '0' })).toThrow(/MASTER_PORT="0"/);
  });

  test('Slurm node lists', () => {
    expect(firstSlurmHost('node[03-05,07],gpu1')).toBe('node03');
    expect(firstSlurmHost('login1,login2')).toBe('login1');
    expect(firstSlurmHost('c[7,9]')).toBe('c7');
  });

  test('threads per rank share the cores of the node', () => {
    expect(defaultThreadsPerRank(2, 16)).toBe(8);
    expect(defaultThreadsPerRank(3, 16)).toBe(5);
    expect(defaultThreadsPerRank(4, 2)).toBe(1);
  });
});

describe('distributed sampler', () => {
  const take = <T>(g: Generator<T>, n: number) => Array.from({ length: n }, () => g.next().value as T);

  test('the ranks get disjoint slices whose union is the one-process batch, in every epoch and from any start', () => {
    const length = 50;
    for (const start of [0, 7]) {
      const single = take(batchPlan(length, { batchSize: 8, seed: 4 }, start), 12);
      const ranks = [0, 1, 2, 3].map((rank) => take(batchPlan(length, { batchSize: 8, seed: 4, rank, world: 4 }, start), 12));
      for (let k = 0; k < 12; k++) {
        const parts = ranks.map((r) => r[k]!);
        expect(parts.every((p) => p.indices.length === 2)).toBe(true);
        expect(parts.flatMap((p) => p.indices)).toEqual(single[k]!.indices);
        expect(parts.flatMap((p) => p.seeds)).toEqual(single[k]!.seeds);
        expect(new Set(parts.flatMap((p) => p.indices)).size).toBe(8);
        expect(parts.map((p) => p.epoch)).toEqual([0, 1, 2, 3].map(() => single[k]!.epoch));
      }
    }
  });

  test('a global batch that does not split evenly is refused', () => {
    expect(() => batchPlan(50, { batchSize: 6, seed: 0, rank: 0, world: 4 }).next()).toThrow(/train.batch_size 6 \(the global batch\) is not divisible by the 4 ranks/);
    expect(() => batchPlan(50, { batchSize: 8, seed: 0, rank: 4, world: 4 }).next()).toThrow(/rank 4 is not in \[0, world size 4\)/);
  });
});

describe('launcher environment', () => {
  test('global ranks follow the node rank', () => {
    const o = { nprocPerNode: 4, nnodes: 2, nodeRank: 1, masterAddr: 'h', masterPort: 5, command: ['x'] };
    expect(rankEnvironment(o, 2)).toMatchObject({ RANK: '6', LOCAL_RANK: '2', WORLD_SIZE: '8', LOCAL_WORLD_SIZE: '4', GROUP_RANK: '1', MASTER_ADDR: 'h', MASTER_PORT: '5' });
  });
});
