// Pre-processing (per-channel transform, then (x − mean)/std) and its exact inverse, so that model
// outputs can be brought back to physical units before metrics.
import type { FieldConfig, FieldTransform } from './config.js';
import type { Tensor } from './types.js';

const EPS = 1e-6;

const FORWARD: Record<FieldTransform, (x: number) => number> = {
  log: Math.log,
  log_eps: (x) => Math.log(x + EPS),
  log1p: Math.log1p,
  arcsinh: Math.asinh,
};

const INVERSE: Record<FieldTransform, (y: number) => number> = {
  log: Math.exp,
  log_eps: (y) => Math.exp(y) - EPS,
  log1p: Math.expm1,
  arcsinh: Math.sinh,
};

export interface PreprocessOptions {
  /** Apply the per-field transforms (default true). */
  transform?: boolean;
  /** Standardise with the configured mean and std (default true). */
  normalize?: boolean;
}

/** The per-channel pre-processing of a dataset configuration. */
export class Preprocess {
  constructor(
    readonly fields: readonly FieldConfig[],
    readonly options: PreprocessOptions = {},
  ) {}

  /** Transforms `t` in place; `channelAxis` is 1 for an item (T, C, ...) and 2 for a batch. */
  apply(t: Tensor, channelAxis = 1): Tensor {
    this.each(t, channelAxis, (f) => {
      const fn = this.options.transform !== false && f.transform ? FORWARD[f.transform] : undefined;
      const [m, s] = this.options.normalize !== false ? [f.mean, f.std] : [0, 1];
      return (x) => ((fn ? fn(x) : x) - m) / s;
    });
    return t;
  }

  /** The exact inverse of apply (post-processing), in place. */
  invert(t: Tensor, channelAxis = 1): Tensor {
    this.each(t, channelAxis, (f) => {
      const fn = this.options.transform !== false && f.transform ? INVERSE[f.transform] : undefined;
      const [m, s] = this.options.normalize !== false ? [f.mean, f.std] : [0, 1];
      return fn ? (y) => fn(y * s + m) : (y) => y * s + m;
    });
    return t;
  }

  private each(t: Tensor, axis: number, make: (f: FieldConfig) => (x: number) => number): void {
    const C = t.shape[axis]!;
    if (C !== this.fields.length) throw new Error(`tensor has ${C} channels on axis ${axis}, the configuration ${this.fields.length}`);
    let inner = 1;
    for (let i = axis + 1; i < t.shape.length; i++) inner *= t.shape[i]!;
    const outer = t.data.length / (C * inner);
    // Channels whose transform is the identity (no transform, mean 0, std 1) are skipped.
    const fns = this.fields.map((f) => (!f.transform && f.mean === 0 && f.std === 1 ? null : make(f)));
    const d = t.data;
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < C; c++) {
        const fn = fns[c];
        if (!fn) continue;
        const base = (o * C + c) * inner;
        for (let i = base; i < base + inner; i++) d[i] = fn(d[i]!);
      }
    }
  }
}
