#!/usr/bin/env node
// node-gyp as prebuildify calls it, pointed at Node's local headers so that nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';

const { nodeHeadersDir } = await import('../dist/native/build.js');
const headers = nodeHeadersDir();
const nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--devdir'));
if (headers) args.push(`--nodedir=${headers}`);
// prebuildify passes no --jobs, and node-gyp then runs make serially: compile on every core (JOBS overrides).
if (!args.some((a) => a === '-j' || a.startsWith('--jobs')) && !process.env.JOBS) args.push('--jobs', String(availableParallelism()));
const result = spawnSync(process.execPath, [nodeGyp, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
