// What a training run does differently as one rank of several: rank 0 owns the run directory (creates,
// locks and writes it; the others learn its path from rank 0), the global batch is split, validation
// batches are shared out and their losses summed over the ranks, and only rank 0 reports.
import { openRunDir, type RunLock } from '../train/run-dir.js';
import type { LoopOptions, RunOptions } from '../train/loop.js';
import type { ProcessGroup } from './process-group.js';

/** openRunDir on rank 0; the same directory, unlocked and unwritten, on the other ranks. */
export async function openGroupRunDir(
  group: ProcessGroup,
  options: { resumeDir?: string; runDir?: string },
  runsDir: string,
  name: string,
  files: Record<string, string>,
): Promise<{ dir: string; lock?: RunLock }> {
  if (group.worldSize === 1) return openRunDir(options, runsDir, name, files);
  let opened: { dir: string; lock?: RunLock } | undefined;
  if (group.isMain) opened = openRunDir(options, runsDir, name, files);
  const dir = await group.broadcastText(opened?.dir ?? '');
  return opened ?? { dir };
}

/** The loop settings that differ per rank: rank 0 reports and writes, all ranks meet after each save. */
export function groupLoopSettings<T>(group: ProcessGroup, options: RunOptions<T>): Pick<LoopOptions, 'main' | 'barrier' | 'progress' | 'log' | 'onStep' | 'onEpoch' | 'world'> {
  const world = group.worldSize;
  if (group.isMain) return { main: true, world, barrier: world > 1 ? () => group.barrier() : undefined, progress: options.progress, log: options.log, onStep: options.onStep, onEpoch: options.onEpoch };
  return { main: false, world, barrier: () => group.barrier(), progress: 'none', log: () => {}, onStep: undefined, onEpoch: undefined };
}

/**
 * Mean of a per-item loss over this rank's share of the fixed validation batches (fixedBatchShare), summed
 * over the ranks: every rank returns the same number, the one-process mean.
 */
export async function sharedValidationMean<B>(group: ProcessGroup, share: Iterator<B>, items: (batch: B) => number, loss: (batch: B) => Promise<number>): Promise<number> {
  let sum = 0;
  let n = 0;
  let next = share.next();
  while (!next.done) {
    const b = next.value;
    const pending = loss(b);
    next = share.next();  // built while the loss runs natively
    sum += (await pending) * items(b);
    n += items(b);
  }
  const [total, count] = await group.allReduceSum([sum, n]);
  return total! / count!;
}

/** The per-rank batch size of a global `batchSize`, or an error naming both. */
export function localBatchSize(batchSize: number, group: ProcessGroup): number {
  if (batchSize % group.worldSize !== 0) throw new Error(`train.batch_size ${batchSize} (the global batch) is not divisible by the ${group.worldSize} ranks`);
  return batchSize / group.worldSize;
}

/**
 * A stop request (Ctrl-C, SIGTERM) that all ranks act on at the same step: each rank's `signal` is summed
 * over the ranks after every step (`agree`), and `stop` aborts on every rank once any rank asked. Without
 * this, ranks that stop at different steps would wait on each other's collectives until the timeout.
 */
export function agreedStop(group: ProcessGroup, signal?: AbortSignal): { stop?: AbortSignal; agree: () => Promise<void> } {
  if (group.worldSize === 1 || !signal) return { stop: signal, agree: async () => {} };
  const controller = new AbortController();
  return {
    stop: controller.signal,
    agree: async () => {
      const [asked] = await group.allReduceSum([signal.aborted ? 1 : 0]);
      if (asked! > 0 && !controller.signal.aborted) controller.abort();
    },
  };
}

/** Item `n` of a list shared out across the ranks (cache-latents, eval, emulate): n mod world = rank. */
export function ownsItem(group: Pick<ProcessGroup, 'rank' | 'worldSize'>, n: number): boolean {
  return n % group.worldSize === group.rank;
}
