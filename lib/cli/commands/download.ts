// `latent-emulator download DATASET --root DIR`: fetch a dataset from The Well's file server into its
// directory layout, in parallel, resumable, size-checked, with a progress bar.
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { DEFAULT_WELL_URL, WELL_URL_ENV, download } from '../../data/download.js';

export function register(program: Command): void {
  program
    .command('download')
    .description(`download a Well dataset (or the datasets of a configuration) from The Well's file server`)
    .argument('<dataset>', 'Well dataset name (rayleigh_benard, ...) or configuration name (euler_all, ...)')
    .requiredOption('--root <dir>', 'where the datasets/ directory goes')
    .option('--split <split>', 'train, valid or test (default: all three)')
    .option('--first-only', 'only the first file of each split')
    .option('--base-url <url>', `file server (default: $${WELL_URL_ENV} or ${DEFAULT_WELL_URL})`)
    .option('--parallel <n>', 'files at once', '4')
    .option('--stall-seconds <s>', 'abandon a request after this many seconds without data (it is retried)', '60')
    .action(async (dataset: string, o: { root: string; split?: string; firstOnly?: boolean; baseUrl?: string; parallel: string; stallSeconds: string }) => {
      const tty = process.stderr.isTTY;
      const bars = tty ? new cliProgress.MultiBar({ format: '{bar} {percentage}% {value}/{total} B {file}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
      const active = new Map<string, cliProgress.SingleBar>();
      const r = await download(dataset, {
        root: o.root,
        split: o.split,
        firstOnly: o.firstOnly,
        baseUrl: o.baseUrl,
        parallel: Number(o.parallel),
        stallSeconds: Number(o.stallSeconds),
        onStart: (file, total) => {
          if (bars) active.set(file, bars.create(total, 0, { file: file.split('/').pop() }));
        },
        onProgress: (file, bytes) => active.get(file)?.update(bytes),
        onDone: (file, status) => {
          const bar = active.get(file);
          if (bar) {
            bar.stop();
            bars?.remove(bar);
          }
          if (!tty) process.stderr.write(`${status} ${file}\n`);
        },
      }).finally(() => bars?.stop());
      process.stdout.write(`${r.downloaded} downloaded, ${r.skipped} already complete, under ${o.root}\n`);
    });
}
