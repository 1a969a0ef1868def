// This process's data-parallel group: joined once per process from the launcher's environment
// (rendezvous.ts), through the addon's c10d: Gloo for CPU training, NCCL for CUDA training (one GPU per rank:
// LOCAL_RANK's, which `cuda` then means; CUDA builds with NCCL only). While joined, every native train step averages its
// gradients across the ranks; the few other collectives the training loop needs are here. Alone (no
// launcher variables, or a world of one) every call is a cheap no-op, so the training code has one path.
import { native } from '../native/loader.js';
import { getNumThreads, setNumThreads } from '../runtime.js';
import { defaultThreadsPerRank, rendezvousFromEnv, type Rendezvous } from './rendezvous.js';

export interface NativeDistributedInfo {
  active: boolean;
  rank: number;
  worldSize: number;
  backend: string;
  timeoutSeconds: number;
  bytesAllReduced: number;
  allReduceSeconds: number;
  allReduces: number;
}

export interface NativeDistributed {
  init(options: { rank: number; worldSize: number; localRank: number; masterAddr: string; masterPort: number; timeoutSeconds: number; useAgentStore: boolean; restartCount: number; backend: string }): Promise<void>;
  destroy(barrier: boolean): Promise<void>;
  info(): NativeDistributedInfo;
  allReduceSum(values: Float64Array): Promise<Float64Array>;
  broadcastText(text: string): Promise<string>;
  barrier(): Promise<void>;
  /** The backends this build has: gloo, and nccl in CUDA builds with NCCL's headers. */
  backends: string[];
}

/** The group a training run works in. */
export interface ProcessGroup extends Rendezvous {
  /** Rank 0: the one that logs, shows progress and writes metrics, summaries and checkpoints. */
  isMain: boolean;
  /** Element-wise sum over the ranks. */
  allReduceSum(values: number[]): Promise<number[]>;
  /** Rank 0's text on every rank. */
  broadcastText(text: string): Promise<string>;
  barrier(): Promise<void>;
  /** Gradient all-reduce statistics of this process so far. */
  stats(): NativeDistributedInfo;
}

/** Seconds every collective may wait for the other ranks: $LATENT_EMULATOR_DIST_TIMEOUT, default 1800 (torch's). */
export function distributedTimeout(env: Record<string, string | undefined> = process.env): number {
  const text = env.LATENT_EMULATOR_DIST_TIMEOUT;
  if (text === undefined || text === '') return 1800;
  const value = Number(text);
  if (!(value > 0)) throw new Error(`LATENT_EMULATOR_DIST_TIMEOUT=${JSON.stringify(text)} is not a positive number of seconds`);
  return value;
}

let joined: Promise<ProcessGroup> | undefined;

/**
 * The c10d backend for ranks that train on `device` (torch's choice): NCCL for CUDA, one GPU per rank, so
 * with several ranks on a node the device must be plain `cuda` (each rank takes GPU LOCAL_RANK); Gloo otherwise.
 */
export function backendFor(device: string | undefined, r: Pick<Rendezvous, 'localWorldSize'>): 'gloo' | 'nccl' {
  if (!device?.startsWith('cuda')) return 'gloo';
  if (device !== 'cuda' && r.localWorldSize > 1)
    throw new Error(`train.device=${device}: with ${r.localWorldSize} ranks on this node each rank uses its own GPU (cuda:LOCAL_RANK); set train.device=cuda`);
  return 'nccl';
}

/**
 * Joins the job this process was launched into (once; later calls return the same group). With several
 * ranks per node and neither `threads` nor $LATENT_EMULATOR_THREADS set, intra-op threads become
 * cores / ranks per node. `device`: what the ranks train on (cuda → the NCCL backend); the item-parallel
 * commands' few collectives run on CPU tensors (Gloo) whatever their device.
 */
export function joinProcessGroup(options: { threads?: number; device?: string } = {}): Promise<ProcessGroup> {
  joined ??= join(options).catch((err) => {
    joined = undefined;
    throw err;
  });
  return joined;
}

async function join(options: { threads?: number; device?: string }): Promise<ProcessGroup> {
  const r = rendezvousFromEnv();
  const addon = native();
  if (r.worldSize > 1) {
    if (!options.threads && !process.env.LATENT_EMULATOR_THREADS && r.localWorldSize > 1) {
      const threads = defaultThreadsPerRank(r.localWorldSize);
      if (threads < getNumThreads()) setNumThreads(threads);
    }
    // torchrun --max-restarts: a restarted group says so once (its run then resumes from the last checkpoint).
    if (r.restartCount > 0 && r.rank === 0) process.stderr.write(`torchrun restart ${r.restartCount} (TORCHELASTIC_RESTART_COUNT=${r.restartCount}): ${r.worldSize} ranks rejoining at ${r.masterAddr}:${r.masterPort}\n`);
    await addon.distributed.init({ ...r, timeoutSeconds: distributedTimeout(), backend: backendFor(options.device, r) });
  }
  const alone = r.worldSize === 1;
  return {
    ...r,
    isMain: r.rank === 0,
    allReduceSum: async (values) => (alone ? values : Array.from(await addon.distributed.allReduceSum(Float64Array.from(values)))),
    broadcastText: async (text) => (alone ? text : addon.distributed.broadcastText(text)),
    barrier: async () => (alone ? undefined : addon.distributed.barrier()),
    stats: () => addon.distributed.info(),
  };
}
