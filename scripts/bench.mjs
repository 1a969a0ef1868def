#!/usr/bin/env node
// `npm run bench`: every benchmark in scripts/bench/*.mjs (or those named on the command line). Each prints
// ratios against a limit measured in the same run; results also go to bench-results/<time>.json and
// bench-results/latest.json so that commits can be compared.
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const dir = join(root, 'scripts', 'bench');
const wanted = process.argv.slice(2);
const names = readdirSync(dir).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4)).filter((n) => !wanted.length || wanted.includes(n)).sort();
const results = { date: new Date().toISOString(), cores: availableParallelism(), cpu: cpus()[0]?.model, benchmarks: {} };
const report = (name, value) => {
  results.benchmarks[name] = value;
};
for (const name of names) {
  console.log(`\n== ${name}`);
  const { run } = await import(join(dir, `${name}.mjs`));
  await run(report);
}
const out = join(root, 'bench-results');
mkdirSync(out, { recursive: true });
const file = join(out, `${results.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file + '.tmp', JSON.stringify(results, null, 2));
renameSync(file + '.tmp', file);
writeFileSync(join(out, 'latest.json'), JSON.stringify(results, null, 2));
console.log(`\nresults: ${file}`);
