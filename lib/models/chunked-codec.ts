// Encoding and decoding whole trajectories through an autoencoder a chunk of states at a time, so memory stays
// bounded by the chunk (latent caching, evaluation, batch emulation).
import { numel, type HostArray } from '../data/types.js';
import type { NativeTensor } from '../native/addon-types.js';
import { tensor } from '../tensor.js';
import type { Autoencoder } from './autoencoder.js';

/** Encodes pre-processed states (T, C, *space) in chunks of `batch`; returns (T, *latent). Without an
 *  autoencoder (pixel-space runs) the states are their own "latents" (a copy). */
export async function encodeStates(ae: Autoencoder | null, states: HostArray, batch = 16): Promise<HostArray> {
  return ae ? mapChunks(states, batch, (x) => ae.encode(x)) : { data: Float32Array.from(states.data), shape: [...states.shape] };
}

/** Decodes latents (T, *latent) in chunks of `batch`; returns (T, C, *space), pre-processed units. */
export async function decodeStates(ae: Autoencoder | null, latents: HostArray, batch = 16): Promise<HostArray> {
  return ae ? mapChunks(latents, batch, (z) => ae.decode(z)) : { data: Float32Array.from(latents.data), shape: [...latents.shape] };
}

async function mapChunks(x: HostArray, batch: number, f: (chunk: NativeTensor) => Promise<NativeTensor>): Promise<HostArray> {
  const [T, ...rest] = x.shape;
  const size = numel(rest);
  let out: Float32Array | undefined;
  let outShape: number[] = [];
  for (let t0 = 0; t0 < T!; t0 += batch) {
    const n = Math.min(batch, T! - t0);
    const input = tensor(x.data.subarray(t0 * size, (t0 + n) * size), [n, ...rest]);
    const y = await f(input);
    input.dispose();
    const data = y.dataSync() as Float32Array;
    if (!out) {
      outShape = [T!, ...y.shape.slice(1)];
      out = new Float32Array(numel(outShape));
    }
    out.set(data, (t0 * out.length) / T!);
    y.dispose();
  }
  return { data: out ?? new Float32Array(0), shape: outShape };
}
