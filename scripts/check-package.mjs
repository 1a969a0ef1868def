#!/usr/bin/env node
// Proves the install path a user meets: `npm run prebuildify` (prebuildify + node-gyp through binding.gyp),
// `npm pack`, then installing the tarball in an empty project and loading the prebuilt addon with no
// compiler on PATH. Exits non-zero on any failure. Used by CI after the test suite.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const say = (line) => console.log(`[check-package] ${line}`);
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

const work = mkdtempSync(join(tmpdir(), 'latent-emulator-package-'));
try {
  say('prebuild (prebuildify → node-gyp → binding.gyp)');
  run('npm', ['run', 'prebuildify'], { cwd: root });
  const { resolveLibtorch } = await import('../dist/native/libtorch.js');
  const { prebuildPath } = await import('../dist/native/loader.js');
  const prebuilt = prebuildPath(resolveLibtorch(), root);
  if (!existsSync(prebuilt)) throw new Error(`prebuild missing: ${prebuilt}`);

  say('npm pack');
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();

  say('install the tarball into an empty project');
  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', type: 'module', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], { cwd: project });

  say('load it with no compiler on PATH');
  const bin = join(work, 'bin'); // PATH holds node alone: no cc, c++, g++, make, cmake
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const tool of ['cc', 'c++', 'g++', 'gcc', 'make', 'cmake']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: bin } }).status === 0) throw new Error(`${tool} is still on PATH`);
  }
  const script = `
    import { doctor, tensor, Autoencoder } from 'latent-emulator';
    const report = doctor();
    if (report.addonKind !== 'prebuild') throw new Error('loaded ' + report.addonKind + ' ' + report.addonPath);
    const ae = Autoencoder.create({ pix_channels: 2, lat_channels: 4, hid_channels: [4, 8], hid_blocks: [1, 1] });
    const z = await ae.encode(tensor(new Float32Array(2 * 64), [1, 2, 8, 8]));
    console.log(JSON.stringify({ addon: report.addonPath, libtorch: report.libtorchTag, latent: z.shape }));
  `;
  const env = { HOME: process.env.HOME, PATH: bin, LATENT_EMULATOR_CACHE: process.env.LATENT_EMULATOR_CACHE ?? '' };
  if (!env.LATENT_EMULATOR_CACHE) delete env.LATENT_EMULATOR_CACHE;
  if (process.env.LIBTORCH) env.LIBTORCH = process.env.LIBTORCH;
  run(join(bin, 'node'), ['--input-type=module', '-e', script], { cwd: project, env });
  run(join(bin, 'node'), [join(project, 'node_modules', '.bin', 'latent-emulator'), 'doctor'], { cwd: project, env });
  say('ok: the packed package loads its prebuilt addon without a compiler');
} finally {
  rmSync(work, { recursive: true, force: true });
}
