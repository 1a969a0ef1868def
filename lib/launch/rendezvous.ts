// Where this process sits in a data-parallel job, from the environment the standard launchers set:
// torchrun's variables (also what `latent-emulator launch` sets), else Slurm's (a task of `srun`), else one
// process alone. One Node process is one rank.
import { cpus } from 'node:os';

export type RendezvousSource = 'torchrun' | 'slurm' | 'single';

export interface Rendezvous {
  source: RendezvousSource;
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
  /** torchrun's agent hosts the TCPStore (TORCHELASTIC_USE_AGENT_STORE=True); the ranks only connect. */
  useAgentStore: boolean;
  /** TORCHELASTIC_RESTART_COUNT: which (re)start of the workers this is. */
  restartCount: number;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, min: number, fallback?: number): number {
  const text = env[name];
  if (text === undefined || text === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`environment variable ${name} is not set (needed with the other launcher variables)`);
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`environment variable ${name}=${JSON.stringify(text)} is not an integer >= ${min}`);
  return value;
}

/** The first host name of a Slurm node list: `node[03-05,07],gpu1` → `node03`. */
export function firstSlurmHost(nodelist: string): string {
  const match = /^([^,[]+)(?:\[([^\]]+)\])?/.exec(nodelist.trim());
  if (!match) throw new Error(`cannot read the Slurm node list ${JSON.stringify(nodelist)}`);
  const [, prefix, ranges] = match;
  if (!ranges) return prefix!;
  const first = ranges.split(',')[0]!.split('-')[0]!;
  return `${prefix}${first}`;
}

/** Tasks on the first node from SLURM_TASKS_PER_NODE (`2(x3),1` → 2). */
function slurmTasksPerNode(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const n = Number(/^(\d+)/.exec(text)?.[1]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** torchrun's variables, else those of a Slurm step (srun), else a single process. */
export function rendezvousFromEnv(env: Env = process.env): Rendezvous {
  if (env.WORLD_SIZE !== undefined && env.RANK !== undefined) {
    const worldSize = integer(env, 'WORLD_SIZE', 1);
    const rank = integer(env, 'RANK', 0);
    if (rank >= worldSize) throw new Error(`RANK=${rank} is not below WORLD_SIZE=${worldSize}`);
    const localWorldSize = integer(env, 'LOCAL_WORLD_SIZE', 1, worldSize);
    const localRank = integer(env, 'LOCAL_RANK', 0, rank % localWorldSize);
    if (worldSize > 1 && !env.MASTER_ADDR) throw new Error('WORLD_SIZE > 1 but MASTER_ADDR is not set (launch with torchrun or `latent-emulator launch`)');
    return {
      source: 'torchrun',
      rank,
      worldSize,
      localRank,
      localWorldSize,
      masterAddr: env.MASTER_ADDR ?? '127.0.0.1',
      masterPort: integer(env, 'MASTER_PORT', 1, 29500),
      useAgentStore: env.TORCHELASTIC_USE_AGENT_STORE === 'True',
      restartCount: integer(env, 'TORCHELASTIC_RESTART_COUNT', 0, 0),
    };
  }
  // A task of an srun step (the batch script itself is one process: SLURM_STEP_NUM_TASKS is unset there).
  if (env.SLURM_PROCID !== undefined && env.SLURM_STEP_NUM_TASKS !== undefined) {
    const worldSize = integer(env, 'SLURM_STEP_NUM_TASKS', 1);
    const rank = integer(env, 'SLURM_PROCID', 0);
    const nodelist = env.SLURM_STEP_NODELIST ?? env.SLURM_JOB_NODELIST;
    if (worldSize > 1 && !nodelist && !env.MASTER_ADDR) throw new Error('Slurm step of several tasks without SLURM_STEP_NODELIST: cannot find the master node');
    const jobId = integer(env, 'SLURM_JOB_ID', 0, 0);
    return {
      source: 'slurm',
      rank,
      worldSize,
      localRank: integer(env, 'SLURM_LOCALID', 0, 0),
      localWorldSize: slurmTasksPerNode(env.SLURM_STEP_TASKS_PER_NODE ?? env.SLURM_TASKS_PER_NODE) ?? 1,
      masterAddr: env.MASTER_ADDR ?? (nodelist ? firstSlurmHost(nodelist) : '127.0.0.1'),
      // A port per job, so that jobs sharing a node do not meet (MASTER_PORT overrides).
      masterPort: env.MASTER_PORT ? integer(env, 'MASTER_PORT', 1) : 15000 + (jobId % 20000),
      useAgentStore: false,
      restartCount: 0,
    };
  }
  return { source: 'single', rank: 0, worldSize: 1, localRank: 0, localWorldSize: 1, masterAddr: '127.0.0.1', masterPort: 29500, useAgentStore: false, restartCount: 0 };
}

/** Intra-op threads per rank when nothing asks for a number: the cores shared by the ranks of this node. */
export function defaultThreadsPerRank(localWorldSize: number, cores = cpus().length): number {
  return Math.max(1, Math.floor(cores / Math.max(1, localWorldSize)));
}

/** Whether this process is rank 0 (or alone): the one that prints a command's results. */
export function isMainRank(env: Env = process.env): boolean {
  return rendezvousFromEnv(env).rank === 0;
}

/**
 * What `doctor` says about data parallelism: the backends this addon has (`backends`, from the addon; NCCL
 * only in CUDA builds with NCCL's headers), and that gloo's headers are needed to build the addon from source.
 */
export function distributedDoctorLine(existsFile: (path: string) => boolean, backends: readonly string[] = ['gloo']): string {
  const headers = ['/usr/include/gloo/algorithm.h', '/usr/local/include/gloo/algorithm.h'].find(existsFile);
  const where = rendezvousFromEnv();
  const role = where.source === 'single' ? 'this process runs alone' : `${where.source}: rank ${where.rank} of ${where.worldSize}`;
  const kinds = backends.includes('nccl') ? 'c10d Gloo (CPU) and NCCL (CUDA)' : 'c10d Gloo (CPU); NCCL unavailable (CPU build, or built without nccl.h)';
  return headers ? `${kinds}; ${role}` : `${kinds}; ${role}; gloo's headers are missing, so the addon cannot be rebuilt from source (apt-get install libgloo-dev)`;
}
