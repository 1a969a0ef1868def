// Progress output: a live bar (loss, learning rate, throughput) on a terminal, one plain line per epoch
// otherwise (logs, CI, pipes), or nothing.
import cliProgress from 'cli-progress';

import type { EpochMetrics } from './epoch-metrics.js';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export class Progress {
  private bar?: cliProgress.SingleBar;
  private readonly mode: 'bar' | 'lines' | 'none';

  constructor(
    mode: ProgressMode,
    private readonly total: number,
    private readonly epochSize: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.mode = mode === 'auto' ? (out.isTTY ? 'bar' : 'lines') : mode;
  }

  start(step: number): void {
    if (this.mode !== 'bar') return;
    this.bar = new cliProgress.SingleBar(
      {
        format: 'epoch {epoch} |{bar}| {value}/{total} steps | loss {loss} | lr {lr} | {rate} samples/s | eta {eta_formatted}',
        stream: this.out,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.total, step, { epoch: Math.floor(step / this.epochSize), loss: '-', lr: '-', rate: '-' });
  }

  step(globalStep: number, loss: number, lr: number, rate: number): void {
    this.bar?.update(globalStep, { epoch: Math.floor((globalStep - 1) / this.epochSize), loss: loss.toPrecision(4), lr: lr.toExponential(2), rate: rate.toFixed(1) });
  }

  epoch(m: EpochMetrics, epochs: number): void {
    if (this.mode === 'none') return;
    const line =
      `epoch ${m.epoch + 1}/${epochs} step ${m.step}: train ${m.train_loss_mean.toPrecision(4)} ± ${m.train_loss_std.toPrecision(3)}, ` +
      `valid ${m.valid_loss.toPrecision(4)} (best ${m.best_valid_loss.toPrecision(4)}), |g| ${m.grad_norm_mean.toPrecision(3)}, lr ${m.lr.toExponential(2)}, ` +
      `${m.samples_per_s.toFixed(1)} samples/s, ${m.skipped} skipped, ${m.elapsed.toFixed(0)} s`;
    if (this.bar) this.bar.stop();
    this.out.write(`${line}\n`);
    if (this.bar && m.step < this.total) this.bar.start(this.total, m.step, { epoch: m.epoch + 1, loss: '-', lr: '-', rate: '-' });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
