// `latent-emulator build [--generator cmake-js|node-gyp]`: the explicit source build of the addon.
import type { Command } from 'commander';

import { buildNative, type Generator } from '../../native/build.js';

export function register(program: Command): void {
  program
    .command('build')
    .description('compile the native addon from source against the libtorch the resolver finds')
    .option('--generator <generator>', 'cmake-js (default) or node-gyp', 'cmake-js')
    .action((options: { generator: Generator }) => {
      if (options.generator !== 'cmake-js' && options.generator !== 'node-gyp') {
        throw new Error(`unknown generator "${options.generator}": expected cmake-js or node-gyp`);
      }
      buildNative({ generator: options.generator });
    });
}
