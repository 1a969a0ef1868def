// The batch loader: index order (sequential, or the reference's lazy shuffle), optional infinite
// epochs, and prefetching on worker threads so that reading and decompression overlap with training.
// Memory is bounded by batch size × prefetch depth: at most `prefetch` batches exist at once.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { lazyShuffle, type LazyShuffleOptions } from './lazy-shuffle.js';
import { Rng } from './rng.js';
import { buildBatch, openSource, type DatasetSource, type WindowDataset } from './source.js';
import type { Batch } from './types.js';
import type { BatchRequest, WorkerReply } from './loader-worker.js';

export interface LoaderOptions {
  batchSize: number;
  /** 'lazy' (default): the reference's chunked lazy shuffle; 'none': dataset order. */
  shuffle?: 'lazy' | 'none';
  lazy?: LazyShuffleOptions;
  /** Loop over epochs forever, reshuffling each time (the last partial batch of an epoch is dropped). */
  infinite?: boolean;
  /** Drop the last partial batch of a finite epoch (default false). */
  dropLast?: boolean;
  /** Worker threads; 0 reads on the calling thread (default 0). */
  workers?: number;
  /** Batches requested ahead (default 2 per worker, at least 2). */
  prefetch?: number;
  seed?: number;
}

interface Pending {
  resolve: (b: Batch) => void;
  reject: (e: Error) => void;
  promise: Promise<Batch>;
}

export class BatchLoader implements AsyncIterable<Batch> {
  private workers: Worker[] = [];
  private local?: WindowDataset;
  private pending = new Map<number, Pending>();
  private closed = false;

  private constructor(
    readonly source: DatasetSource,
    readonly options: LoaderOptions,
    /** Items per epoch. */
    readonly length: number,
  ) {}

  static async open(source: DatasetSource, options: LoaderOptions): Promise<BatchLoader> {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new Error(`batchSize must be a positive integer`);
    const nWorkers = options.workers ?? 0;
    if (nWorkers === 0) {
      const local = await openSource(source);
      const loader = new BatchLoader(source, options, local.length);
      loader.local = local;
      return loader;
    }
    const workers = Array.from({ length: nWorkers }, () => startWorker(source));
    let length: number;
    try {
      const lengths = await Promise.all(workers.map(waitReady));
      length = lengths[0]!;
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    const loader = new BatchLoader(source, options, length);
    loader.workers = workers;
    for (const w of workers) w.on('message', (m: WorkerReply) => loader.onReply(m));
    for (const w of workers) w.on('error', (e) => loader.failAll(e));
    return loader;
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    const { batchSize, infinite, dropLast } = this.options;
    return infinite || dropLast ? Math.floor(this.length / batchSize) : Math.ceil(this.length / batchSize);
  }

  /** The (index, item seed) plan of every batch, epoch after epoch. */
  *plan(): Generator<{ indices: number[]; seeds: string[]; epoch: number }> {
    const { batchSize, infinite, shuffle = 'lazy', seed = 0 } = this.options;
    const drop = infinite || this.options.dropLast;
    for (let epoch = 0; ; epoch++) {
      const order = shuffle === 'lazy' ? lazyShuffle(this.length, new Rng(`${seed}:order:${epoch}`), this.options.lazy) : range(this.length);
      let indices: number[] = [];
      let seeds: string[] = [];
      let position = 0;
      for (const i of order) {
        indices.push(i);
        seeds.push(`${seed}:${epoch}:${position++}`);
        if (indices.length === batchSize) {
          yield { indices, seeds, epoch };
          indices = [];
          seeds = [];
        }
      }
      if (indices.length && !drop) yield { indices, seeds, epoch };
      if (!infinite || this.length < batchSize) return;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    if (this.local) {
      for (const p of this.plan()) {
        if (this.closed) return;
        yield buildBatch(this.local, p.indices, p.seeds.map((s) => new Rng(s)));
      }
      return;
    }
    const depth = Math.max(1, this.options.prefetch ?? Math.max(2, 2 * this.workers.length));
    const plan = this.plan();
    const queue: Promise<Batch>[] = [];
    let id = 0;
    const request = (): boolean => {
      const next = plan.next();
      if (next.done) return false;
      const p = this.request(id, next.value.indices, next.value.seeds);
      id++;
      queue.push(p);
      return true;
    };
    while (queue.length < depth && request());
    while (queue.length && !this.closed) {
      const batch = await queue.shift()!;
      request();
      yield batch;
    }
  }

  private request(id: number, indices: number[], seeds: string[]): Promise<Batch> {
    let resolve!: (b: Batch) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Batch>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // surfaced when awaited
    this.pending.set(id, { resolve, reject, promise });
    const worker = this.workers[id % this.workers.length]!;
    worker.postMessage({ type: 'batch', id, indices, seeds } satisfies BatchRequest);
    return promise;
  }

  private onReply(m: WorkerReply): void {
    if (m.type === 'ready') return;
    if (m.type === 'error' && m.id === null) return this.failAll(new Error(m.message));
    const p = this.pending.get(m.id!);
    if (!p) return;
    this.pending.delete(m.id!);
    if (m.type === 'error') p.reject(new Error(m.message));
    else p.resolve({ state: { data: m.state, shape: m.stateShape }, label: { data: m.label, shape: m.labelShape } });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.local?.close();
    this.failAll(new Error('loader closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

function waitReady(w: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerReply) => {
      if (m.type === 'ready') {
        w.off('message', onMessage);
        resolve(m.length);
      } else if (m.type === 'error' && m.id === null) {
        w.off('message', onMessage);
        reject(new Error(m.message));
      }
    };
    w.on('message', onMessage);
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`loader worker exited with code ${code} before it was ready`)));
  });
}

/**
 * Starts a worker running loader-worker.{js,ts}. The worker is started from a small inline bootstrap
 * (eval) rather than from a file path, because the entry must load in two settings:
 * - from dist/ (the published package): this module is dist/data/loader.js, and the bootstrap simply
 *   imports the compiled dist/data/loader-worker.js;
 * - from source under jest: this module is lib/data/loader.ts and Node cannot run TypeScript in a
 *   worker, so the bootstrap first registers module hooks that compile .ts with @swc/core (the dev
 *   dependency jest already uses) and map the `.js` import suffixes to the `.ts` sources.
 * No tsconfig change, no build step in the tests, and the hooks never exist in the published package.
 */
function startWorker(source: DatasetSource): Worker {
  const here = import.meta.url;
  const fromSource = here.endsWith('.ts');
  const entry = new URL(fromSource ? './loader-worker.ts' : './loader-worker.js', here).href;
  const swc = fromSource ? createRequire(here).resolve('@swc/core') : null;
  return new Worker(workerBootstrap, {
    eval: true,
    workerData: { role: 'latent-emulator-loader', source, entry, swc, hooks: fromSource ? TS_HOOKS : null },
  });
}

const workerBootstrap = `
const { workerData } = require('node:worker_threads');
if (workerData.hooks) {
  require('node:module').register('data:text/javascript,' + encodeURIComponent(workerData.hooks), { data: { swc: workerData.swc } });
}
import(workerData.entry).catch((err) => { throw err; });
`;

// Module hooks for running the TypeScript sources in a worker (source/test setting only).
const TS_HOOKS = `
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
let swc;
export function initialize(data) { swc = createRequire(pathToFileURL(data.swc))(data.swc); }
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); }
  catch (err) {
    if (/^(\\.|file:)/.test(specifier) && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);
    throw err;
  }
}
export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const filename = fileURLToPath(url);
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
`;
