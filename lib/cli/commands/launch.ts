// `latent-emulator launch --nproc-per-node N [--nnodes --node-rank --master-addr --master-port] -- COMMAND ...`:
// data-parallel training without Python, torchrun's flags and variables. COMMAND is a latent-emulator
// command (train-ae, train-diffusion, ...) or, like `torchrun --no-python`, any program.
//   latent-emulator launch --nproc-per-node 2 -- train-ae dataset.root=data train.batch_size=8
import { join } from 'node:path';

import type { Command } from 'commander';

import { launch } from '../../launch/launcher.js';
import { PACKAGE_ROOT } from '../../native/loader.js';

interface Flags {
  nprocPerNode: string;
  nnodes: string;
  nodeRank: string;
  masterAddr: string;
  masterPort: string;
  gracePeriod: string;
  timeout?: string;
}

const int = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return n;
};

export function register(program: Command): void {
  program
    .command('launch')
    .description('start data-parallel ranks of a command on this node (torchrun without Python): launch --nproc-per-node 2 -- train-ae ...')
    .argument('<command...>', 'a latent-emulator command and its arguments, after --')
    .requiredOption('--nproc-per-node <n>', 'ranks on this node')
    .option('--nnodes <n>', 'nodes in the job', '1')
    .option('--node-rank <n>', 'this node among them', '0')
    .option('--master-addr <host>', 'address of the node of rank 0', '127.0.0.1')
    .option('--master-port <port>', 'free TCP port there for the rendezvous store', '29500')
    .option('--timeout <seconds>', "seconds a rank waits for the others at the rendezvous and in each collective before failing (torch's timeout; default $LATENT_EMULATOR_DIST_TIMEOUT, else 1800)")
    .option('--grace-period <seconds>', 'after a rank fails, seconds the others get between SIGTERM and SIGKILL', '10')
    .action(async (command: string[], flags: Flags) => {
      const own = program.commands.some((c) => c.name() === command[0] && c.name() !== 'launch');
      const argv = own ? [process.execPath, join(PACKAGE_ROOT, 'bin', 'latent-emulator.js'), ...command] : command;
      const result = await launch({
        nprocPerNode: int('--nproc-per-node', flags.nprocPerNode),
        nnodes: int('--nnodes', flags.nnodes),
        nodeRank: int('--node-rank', flags.nodeRank),
        masterAddr: flags.masterAddr,
        masterPort: int('--master-port', flags.masterPort),
        gracePeriod: Number(flags.gracePeriod),
        timeout: flags.timeout === undefined ? undefined : Number(flags.timeout),
        command: argv,
      });
      if (result.failure) throw new Error(`launch failed: ${result.failure}`);
      process.exitCode = result.exitCode; // 130/143: the ranks were interrupted and saved
    });
}
