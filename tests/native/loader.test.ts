// The addon binds the libtorch the resolver chose and no other, even with a decoy libtorch on the linker path;
// and a missing addon is an error naming the libtorch found and the fix.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chooseAddon } from '../../lib/native/loader.js';
import { resolveLibtorch } from '../../lib/native/libtorch.js';

const script = `
  const { loadAddon, mappedLibraries } = await import('./dist/native/loader.js');
  const { libtorch, kind } = loadAddon();
  console.log(JSON.stringify({ root: libtorch.libDir, kind, c10: mappedLibraries('libc10.so'), cpu: mappedLibraries('libtorch_cpu.so') }));
`;

test('a decoy libtorch on LD_LIBRARY_PATH is not picked up', () => {
  const decoy = mkdtempSync(join(tmpdir(), 'decoy-libtorch-'));
  try {
    // Real shared objects with libtorch's file names but nothing of libtorch inside.
    for (const name of ['libc10.so', 'libtorch_cpu.so', 'libtorch.so']) copyFileSync('/lib/x86_64-linux-gnu/libz.so.1', join(decoy, name));
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, LD_LIBRARY_PATH: decoy },
    });
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { root: string; c10: string[]; cpu: string[] };
    expect(out.c10).toEqual([join(out.root, 'libc10.so')]);
    expect(out.cpu).toEqual([join(out.root, 'libtorch_cpu.so')]);
  } finally {
    rmSync(decoy, { recursive: true, force: true });
  }
});

test('no matching addon: the error names the libtorch found and the build command', () => {
  const libtorch = { ...resolveLibtorch(), tag: 'torch-9.9.9-cpu', version: '9.9.9' };
  expect(() => chooseAddon(libtorch)).toThrow(/no addon for linux-x64 with torch-9\.9\.9-cpu: found libtorch 9\.9\.9 \(cpu\).*npx latent-emulator build/);
});
