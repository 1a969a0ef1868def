// `latent-emulator inspect FILE [--json]`: the structure of a Well file (or a latent cache).
import type { Command } from 'commander';

import { formatInspection, inspectFile } from '../../data/inspect.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('show the structure of a Well HDF5 file (or latent cache): fields, shapes, parameters, boundary conditions')
    .argument('<file>', 'HDF5 file')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await inspectFile(file);
      process.stdout.write(`${opts.json ? JSON.stringify(info, null, 2) : formatInspection(info)}\n`);
    });
}
