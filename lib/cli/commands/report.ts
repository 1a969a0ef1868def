// `latent-emulator report RUN_OR_EVAL_DIR... --out report.html [--title T]`: one self-contained HTML page
// comparing evaluations (VRMSE and spread/skill curves, spectra, tables by horizon, speed, animations).
import type { Command } from 'commander';
import { writeReport } from '../../report/index.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report comparing evaluations (eval directories, or run directories holding eval/*/summary.json)')
    .argument('<dirs...>', 'evaluation directories or run directories')
    .requiredOption('--out <file>', 'HTML file to write')
    .option('--title <title>', 'page title')
    .action(async (dirs: string[], o: { out: string; title?: string }) => {
      const r = await writeReport(dirs, o.out, o.title === undefined ? {} : { title: o.title });
      process.stdout.write(`${r.out}\n`);
    });
}
