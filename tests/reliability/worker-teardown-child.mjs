// Child process of worker-teardown.test.ts (run on the compiled package in dist/). The main thread uses the
// addon, then ROUNDS times starts a worker thread that loads the addon too, queues long native calls (big
// encodes) and is terminate()d while they run or wait. The process must survive every round, and the main
// thread's model must still compute the same result afterwards. Prints "ok <rounds>" on success.
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

const pkg = await import(new URL('../../dist/index.js', import.meta.url).href);
const { Autoencoder, tensor, setNumThreads } = pkg;
const config = { name: 'tiny', lat_channels: 4, hid_channels: [16, 32], hid_blocks: [1, 1], pix_channels: 3 };

function input(n) {
  return tensor(Float32Array.from({ length: 3 * n * n }, (_, i) => Math.sin(i)), [1, 3, n, n]);
}

if (isMainThread) {
  const rounds = Number(process.argv[2] ?? 20);
  setNumThreads(2);
  const ae = Autoencoder.create(config).eval();
  const before = Array.from((await ae.encode(input(16))).dataSync());
  for (let round = 0; round < rounds; round++) {
    const worker = new Worker(new URL(import.meta.url));
    await new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', resolve); // the worker's calls are queued or running
    });
    // Terminate at different moments: at once, or after the compute thread started on its calls.
    await new Promise((r) => setTimeout(r, round % 4 === 0 ? 0 : 5 * (round % 4)));
    await worker.terminate();
  }
  const after = Array.from((await ae.encode(input(16))).dataSync());
  if (after.length !== before.length || after.some((v, i) => v !== before[i])) throw new Error('the main thread model changed its result');
  console.log(`ok ${rounds}`);
} else {
  const ae = Autoencoder.create({ ...config, hid_channels: [64, 64] }).eval();
  const calls = Array.from({ length: 3 }, () => ae.encode(input(96)));
  calls.forEach((p) => p.catch(() => {}));
  parentPort.postMessage('started');
  await Promise.all(calls);
}
