// Which evaluation directories the report's inputs name: an evaluation directory itself (holding
// summary.json), a summary.json file, or a run directory whose evaluations live in eval/*/summary.json.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Resolves the inputs to evaluation directories (absolute, in input order, without duplicates). */
export function resolveEvalDirs(inputs: readonly string[]): string[] {
  if (inputs.length === 0) throw new Error('report: no run or evaluation directory given');
  const dirs: string[] = [];
  for (const input of inputs) {
    const path = resolve(input);
    if (!existsSync(path)) throw new Error(`${input}: no such file or directory`);
    let found: string[];
    if (statSync(path).isFile()) {
      if (basename(path) !== 'summary.json') throw new Error(`${input}: not a directory or a summary.json`);
      found = [dirname(path)];
    } else if (existsSync(join(path, 'summary.json'))) {
      found = [path];
    } else {
      const evalRoot = join(path, 'eval');
      const subdirs = existsSync(evalRoot) && statSync(evalRoot).isDirectory() ? readdirSync(evalRoot, { withFileTypes: true }) : [];
      found = subdirs
        .filter((d) => d.isDirectory() && existsSync(join(evalRoot, d.name, 'summary.json')))
        .map((d) => join(evalRoot, d.name))
        .sort();
      if (found.length === 0) throw new Error(`${input}: no evaluation found (expected ${join(input, 'summary.json')} or ${join(input, 'eval', '*', 'summary.json')}; run the eval command first)`);
    }
    for (const d of found) if (!dirs.includes(d)) dirs.push(d);
  }
  return dirs;
}
