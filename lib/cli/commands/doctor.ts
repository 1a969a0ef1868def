// `latent-emulator doctor [--json]`: which libtorch, from where, what it can do, and which addon binary loaded.
import type { Command } from 'commander';

import { existsSync } from 'node:fs';

import { distributedDoctorLine } from '../../launch/rendezvous.js';
import { native } from '../../native/loader.js';
import { doctor } from '../../runtime.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('libtorch version and origin, CUDA devices, BLAS, threads, and where the addon was loaded from')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const report = doctor();
      if (options.json) {
        const { buildConfig: _config, ...rest } = report;
        process.stdout.write(JSON.stringify(rest, null, 2) + '\n');
        return;
      }
      const rows: Array<[string, string]> = [
        ['libtorch', `${report.torchVersion} (${report.libtorchTag})`],
        ['libtorch from', `${report.libtorchOrigin}: ${report.libtorchRoot}`],
        ['CUDA', report.cudaAvailable ? `available, ${report.cudaDeviceCount} device(s)` : report.cudaBuilt ? 'built, no device visible' : 'not in this libtorch'],
        ['BLAS', report.blas],
        ['MKL / oneDNN', `${report.mklAvailable ? 'yes' : 'no'} / ${report.mkldnnAvailable ? 'yes' : 'no'}`],
        ['threads', `${report.numThreads} intra-op, ${report.numInteropThreads} inter-op`],
        ['addon', `${report.addonKind}: ${report.addonPath}`],
        ['Node-API', String(report.napiVersion)],
        ['data parallel', distributedDoctorLine(existsSync, native().distributed.backends)],
      ];
      const width = Math.max(...rows.map(([k]) => k.length));
      for (const [key, value] of rows) process.stdout.write(`${key.padEnd(width)}  ${value}\n`);
    });
}
