// Colours of the report: the line colour of each run (Okabe–Ito, distinguishable with colour-vision
// deficiencies), the dash patterns of autoencoder lines, and the viridis colormap of the animations.

/** Line colours for runs, in input order (Okabe–Ito without yellow, which is unreadable on white). */
export const RUN_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'] as const;

/** Colour of the ground-truth line in spectra. */
export const TRUTH_COLOR = '#222222';

/** Dash patterns of autoencoder lines (one per distinct autoencoder). */
export const AE_DASHES = ['5 3', '2 2', '8 3 2 3', '1 3'] as const;

export function runColor(i: number): string {
  return RUN_COLORS[i % RUN_COLORS.length]!;
}

/** Viridis (matplotlib), 17 evenly spaced samples; the player interpolates a 256-entry table from them. */
export const VIRIDIS = [
  '#440154', '#48186a', '#472d7b', '#424086', '#3b528b', '#33638d', '#2c728e', '#26828e', '#21918c',
  '#1fa088', '#28ae80', '#3fbc73', '#5ec962', '#84d44b', '#addc30', '#d8e219', '#fde725',
] as const;

/** CSS gradient of the colormap, for colour bars. */
export function viridisGradient(): string {
  return `linear-gradient(to right, ${VIRIDIS.join(', ')})`;
}
