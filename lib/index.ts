// The public API of latent-emulator: re-exports only.
export { VERSION } from './version.js';
