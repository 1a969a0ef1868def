/** The version tag of an evaluation directory's summary.json (written by eval, read by report). */
export const EVAL_FORMAT = 'latent-emulator-eval/1';
