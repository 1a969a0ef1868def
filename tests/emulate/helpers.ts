// Shared fixtures of the emulator tests.
import { tensor } from '../../lib/tensor.js';

// The example configuration of state-dict-keys.md.
export const tiny = { channels: 4, label_features: 5, spatial: 2 as const, hid_channels: 32, hid_blocks: 2, attention_heads: 2, ffn_factor: 4, emb_features: 32, dropout: 0 };

export function randomValues(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function batch(B: number, T = 5, C = 4, H = 4, W = 4, seed = 1) {
  return { state: tensor(randomValues(B * T * C * H * W, seed), [B, T, C, H, W]), label: tensor(randomValues(B * 5, seed + 1), [B, 5]) };
}

