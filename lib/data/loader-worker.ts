// The body of a loader worker thread: opens its own copy of the dataset, then builds the batches it is
// asked for (read, decompress, augment, pre-process) and transfers them back without copying.
// It is started by loader.ts through a small bootstrap (see workerBootstrap there).
import { parentPort, workerData } from 'node:worker_threads';
import { Rng } from './rng.js';
import { buildBatch, openSource, type DatasetSource } from './source.js';

export interface BatchRequest {
  type: 'batch';
  id: number;
  indices: number[];
  seeds: string[];
}

export type WorkerReply =
  | { type: 'ready'; length: number }
  | { type: 'batch'; id: number; state: Float32Array; stateShape: number[]; label: Float32Array; labelShape: number[] }
  | { type: 'error'; id: number | null; message: string };

async function main(source: DatasetSource): Promise<void> {
  const port = parentPort!;
  let dataset;
  try {
    dataset = await openSource(source);
  } catch (err) {
    port.postMessage({ type: 'error', id: null, message: (err as Error).message } satisfies WorkerReply);
    return;
  }
  port.on('message', (msg: BatchRequest | { type: 'close' }) => {
    if (msg.type === 'close') {
      dataset.close();
      port.close();
      return;
    }
    try {
      const b = buildBatch(dataset, msg.indices, msg.seeds.map((s) => new Rng(s)));
      const reply: WorkerReply = { type: 'batch', id: msg.id, state: b.state.data, stateShape: b.state.shape, label: b.label.data, labelShape: b.label.shape };
      port.postMessage(reply, [b.state.data.buffer as ArrayBuffer, b.label.data.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage({ type: 'error', id: msg.id, message: (err as Error).message } satisfies WorkerReply);
    }
  });
  port.postMessage({ type: 'ready', length: dataset.length } satisfies WorkerReply);
}

if (parentPort && (workerData as { role?: string } | null)?.role === 'latent-emulator-loader') {
  void main((workerData as { source: DatasetSource }).source);
}
