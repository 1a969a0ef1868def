// `latent-emulator libtorch install|path`: the explicit libtorch set-up (npm runs no install scripts).
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';

import { resolveLibtorch } from '../../native/libtorch.js';
import { DEFAULT_TORCH_VERSION, installLibtorch, officialArchiveUrl } from '../../native/libtorch-install.js';

interface InstallFlags {
  variant: string;
  version: string;
  source: 'wheel' | 'archive';
  url?: string;
  sha256?: string;
  wheel?: string;
}

export function register(program: Command): void {
  const libtorch = program.command('libtorch').description('find or install the libtorch the addon runs on');
  libtorch
    .command('path')
    .description('print the libtorch the resolver finds ($LIBTORCH, Python torch, cache) and exit')
    .action(() => {
      const found = resolveLibtorch();
      process.stdout.write(`${found.root}\n${found.tag} (from ${found.origin})\n`);
    });
  libtorch
    .command('install')
    .description('fill the package cache from a torch wheel (pip download) or the official libtorch archive')
    .option('--variant <variant>', 'cpu, or a CUDA variant such as cu126', 'cpu')
    .option('--version <version>', 'torch version', DEFAULT_TORCH_VERSION)
    .option('--source <source>', 'wheel (pip download torch) or archive (official zip)', 'wheel')
    .option('--url <url>', 'archive URL (implies --source archive)')
    .option('--sha256 <hex>', 'expected SHA-256 of the archive')
    .option('--wheel <file>', 'use a torch wheel already on disk')
    .action(async (flags: InstallFlags) => {
      const url = flags.url ?? (flags.source === 'archive' ? officialArchiveUrl(flags.version, flags.variant) : undefined);
      const bar = process.stderr.isTTY ? new SingleBar({ format: ' {stage} [{bar}] {percentage}% {value}/{total}' }) : undefined;
      let stage = '';
      const installed = await installLibtorch({
        variant: flags.variant,
        version: flags.version,
        url,
        sha256: flags.sha256,
        wheel: flags.wheel,
        log: (line) => process.stderr.write(`${line}\n`),
        onProgress: (done, total, name) => {
          if (!bar) return;
          if (name !== stage) {
            if (stage) bar.stop();
            stage = name;
            bar.start(total || 1, 0, { stage: name });
          }
          bar.update(done, { stage: name });
        },
      });
      bar?.stop();
      process.stdout.write(`installed ${installed.tag} at ${installed.root}\n`);
    });
}
