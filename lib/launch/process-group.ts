// This process's data-parallel group: joined once per process from the launcher's environment
// (rendezvous.ts), Gloo on CPU through the addon's c10d. While joined, every native train step averages its
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
  init(options: { rank: number; worldSize: number; masterAddr: string; masterPort: number; timeoutSeconds: number; useAgentStore: boolean; restartCount: number; backend: string }): Promise<void>;
  destroy(barrier: boolean): Promise<void>;
  info(): NativeDistributedInfo;
  allReduceSum(values: Float64Array): Promise<Float64Array>;
  broadcastText(text: string): Promise<string>;
  barrier(): Promise<void>;
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
 * Joins the job this process was launched into (once; later calls return the same group). With several
 * ranks per node and neither `threads` nor $LATENT_EMULATOR_THREADS set, intra-op threads become
 * cores / ranks per node.
 */
export function joinProcessGroup(options: { threads?: number } = {}): Promise<ProcessGroup> {
  joined ??= join(options).catch((err) => {
    joined = undefined;
    throw err;
  });
  return joined;
}

async function join(options: { threads?: number }): Promise<ProcessGroup> {
  const r = rendezvousFromEnv();
  const addon = native();
  if (r.worldSize > 1) {
    if (!options.threads && !process.env.LATENT_EMULATOR_THREADS && r.localWorldSize > 1) {
      const threads = defaultThreadsPerRank(r.localWorldSize);
      if (threads < getNumThreads()) setNumThreads(threads);
    }
    // torchrun --max-restarts: a restarted group says so once (its run then resumes from the last checkpoint).
    if (r.restartCount > 0 && r.rank === 0) process.stderr.write(`torchrun restart ${r.restartCount} (TORCHELASTIC_RESTART_COUNT=${r.restartCount}): ${r.worldSize} ranks rejoining at ${r.masterAddr}:${r.masterPort}\n`);
    await addon.distributed.init({ ...r, timeoutSeconds: distributedTimeout(), backend: 'gloo' });
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
