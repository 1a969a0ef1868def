// One line of a run's metrics.jsonl: what the training loop measures per epoch and the progress display shows.
export interface EpochMetrics {
  epoch: number;
  step: number;
  lr: number;
  train_loss_mean: number;
  train_loss_std: number;
  grad_norm_mean: number;
  grad_norm_max: number;
  skipped: number;
  valid_loss: number;
  best_valid_loss: number;
  samples_per_s: number;
  /** Share of wall time outside the native step (data wait, JS bookkeeping), excluding validation. */
  outside_share: number;
  epoch_seconds: number;
  elapsed: number;
}
