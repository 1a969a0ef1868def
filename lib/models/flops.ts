// Floating-point operations of a DCAE forward pass, counted from its convolutions (2 FLOPs per
// multiply-add); norms and activations are a few percent and left out. Benchmarks divide by time.
import type { AutoencoderConfig } from './autoencoder-config.js';

export interface AutoencoderFlops {
  encode: number;
  decode: number;
  /** forward (encode + decode) + backward (≈ 2 × forward) */
  trainStep: number;
}

/** FLOPs for one batch of `inputShape` = (B, C, *space). */
export function autoencoderFlops(config: AutoencoderConfig & { pix_channels: number }, inputShape: number[]): AutoencoderFlops {
  const [batch, , ...space] = inputShape;
  const d = space.length;
  const kernel = config.kernel_size ** d;
  const positions = (level: number) => space.reduce((n, s) => n * (s / config.stride ** level), 1);
  const conv = (cin: number, cout: number, level: number) => 2 * cin * cout * kernel * positions(level);
  const h = config.hid_channels;
  const last = h.length - 1;
  const shuffle = config.stride ** d;
  let encode = conv(config.pix_channels, h[0]!, 0);
  let decode = conv(h[0]!, config.pix_channels, 0);
  for (let i = 0; i <= last; i++) {
    const blocks = 2 * config.hid_blocks[i]! * conv(h[i]!, h[i]!, i);
    encode += blocks;
    decode += blocks;
    if (i > 0) {
      encode += conv(shuffle * h[i - 1]!, h[i]!, i);
      decode += conv(h[i]!, shuffle * h[i - 1]!, i);
    }
  }
  encode += conv(h[last]!, config.lat_channels, last);
  decode += conv(config.lat_channels, h[last]!, last);
  return { encode: batch! * encode, decode: batch! * decode, trainStep: 3 * batch! * (encode + decode) };
}
