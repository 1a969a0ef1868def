// The `latent-emulator` command line: one file per command under lib/cli/commands, registered here.
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerCommands } from './commands/index.js';

export async function main(argv: string[] = process.argv): Promise<void> {
  const program = new Command();
  program.name('latent-emulator').description('Latent-space diffusion emulators of physical simulations').version(VERSION);
  program.showHelpAfterError();
  registerCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.stderr.write(`latent-emulator: ${(err as Error).message}\n`);
    process.exitCode = process.exitCode || 1; // an interrupted command keeps its 130/143
  }
}
