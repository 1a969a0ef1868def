// The experiment file: validation errors name the file and the key, the shipped studies resolve (every run
// configuration composed and validated) and --dry-run lists their stages, and the stage layout of a grid.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { forKind, planExperiment } from '../../lib/experiment/plan.js';
import { describePlan } from '../../lib/experiment/run.js';
import { parseExperiment, readExperiment } from '../../lib/experiment/spec.js';
import { CONFIGS_DIR } from '../../lib/util/config-file.js';
import { runCli } from '../run-cli.js';
import { tempDir } from '../train/fixtures.js';

const minimal = {
  name: 'study',
  data: { generate: { resolution: 16, trajectories: 5, steps: 9 } },
  autoencoder: { variants: { a: ['ae=dcae_f8c16_cpu'] } },
  emulators: { diffusion: {}, surrogate: {} },
};

describe('experiment file', () => {
  test('errors name the file and the key, with the nearest valid key for a typo', () => {
    expect(() => parseExperiment({ ...minimal, autoencoder: { variants: { a: 'ae=x' } } }, 'f.yaml')).toThrow(/^f\.yaml: autoencoder\.variants\.a: .*expected array/);
    expect(() => parseExperiment({ ...minimal, eval: { sampels: 4 } }, 'f.yaml')).toThrow(/unknown key 'eval\.sampels' \(did you mean 'samples'\?\)/);
    expect(() => parseExperiment({ ...minimal, emulatorz: {} }, 'f.yaml')).toThrow(/unknown key 'emulatorz' \(did you mean 'emulators'\?\)/);
    expect(() => parseExperiment({ ...minimal, data: { root: 'x', generate: minimal.data.generate } }, 'f.yaml')).toThrow(/data: give exactly one of data\.root and data\.generate/);
    expect(() => parseExperiment({ ...minimal, data: { root: 'x' } }, 'f.yaml')).toThrow(/dataset: give dataset/);
    expect(() => parseExperiment({ ...minimal, emulators: {} }, 'f.yaml')).toThrow(/emulators: name at least one of emulators\.diffusion and emulators\.surrogate/);
    expect(() => parseExperiment({ ...minimal, eval: { samplers: [{ sampler: 'rk9', steps: 4 }] } }, 'f.yaml')).toThrow(/eval\.samplers\.0\.sampler/);
    expect(() => parseExperiment({ ...minimal, eval: { horizons: [[5, 2]] } }, 'f.yaml')).toThrow(/eval\.horizons\.0: a horizon is \[first, last\]/);
    expect(() => parseExperiment({ ...minimal, autoencoder: { variants: { 'a/b': [] } } }, 'f.yaml')).toThrow(/autoencoder\.variants/);
  });

  test('a bad run override fails when planned, naming the grid cell', () => {
    const spec = parseExperiment({ ...minimal, emulators: { diffusion: { overrides: ['model.hid_chanels=8'] } } }, 'f.yaml');
    expect(() => planExperiment(spec, 'f.yaml', { out: '/tmp/x' })).toThrow(/^f\.yaml: emulators\.diffusion: unknown key 'denoiser\.hid_chanels'/);
    const ae = parseExperiment({ ...minimal, autoencoder: { variants: { a: ['ae=nope'] } } }, 'f.yaml');
    expect(() => planExperiment(ae, 'f.yaml', { out: '/tmp/x' })).toThrow(/^f\.yaml: autoencoder\.variants\.a: .*nope/);
  });

  test('model=… and model.KEY=… go to the kind’s section', () => {
    expect(forKind(['model=vit_tiny_cpu', 'model.hid_channels=8', 'train.epochs=1', 'models.x=1'], 'diffusion')).toEqual(['denoiser=vit_tiny_cpu', 'denoiser.hid_channels=8', 'train.epochs=1', 'models.x=1']);
    expect(forKind(['model.hid_channels=8'], 'surrogate')).toEqual(['surrogate.hid_channels=8']);
  });

  test('the grid: one autoencoder and cache per variant, every emulator on each, evaluations per sampler (diffusion) and context', () => {
    const spec = parseExperiment(
      { ...minimal, autoencoder: { variants: { a: [], b: ['ae.lat_channels=4'] } }, eval: { samplers: [{ sampler: 'ab', steps: 8 }, { sampler: 'ddim', steps: 4 }], context: [1, 2] } },
      'f.yaml',
    );
    const plan = planExperiment(spec, 'f.yaml', { out: '/tmp/study' });
    const ids = plan.stages.map((s) => s.id);
    expect(ids.filter((i) => i.startsWith('train-ae/'))).toEqual(['train-ae/a', 'train-ae/b']);
    expect(ids.filter((i) => i.startsWith('cache-latents/'))).toEqual(['cache-latents/a', 'cache-latents/b']);
    expect(ids.filter((i) => i.startsWith('train-diffusion/') || i.startsWith('train-surrogate/'))).toHaveLength(4);
    // Diffusion: 2 samplers × 2 contexts; surrogate: 2 contexts; per autoencoder.
    expect(ids.filter((i) => i.startsWith('eval/'))).toHaveLength(2 * (4 + 2));
    expect(ids.at(-1)).toBe('compare');
    const surrogate = plan.stages.find((s) => s.id === 'train-surrogate/b/surrogate')!;
    expect(surrogate.dir).toBe('/tmp/study/emulators/b-surrogate');
    expect(surrogate.needs).toEqual(['cache-latents/b']);
    expect(plan.stages.find((s) => s.id === 'eval/b/diffusion/test_ddim4_c2')!.dir).toBe('/tmp/study/emulators/b-diffusion/eval/test_ddim4_c2');
    // Different definitions, different hashes (a changed file is detected); the same definition, the same hash.
    const again = planExperiment(spec, 'f.yaml', { out: '/tmp/study' });
    expect(again.stages.map((s) => s.hash)).toEqual(plan.stages.map((s) => s.hash));
    expect(new Set(plan.stages.filter((s) => s.kind === 'train-ae').map((s) => s.hash)).size).toBe(2);
  });

  test('the shipped studies resolve and --dry-run lists their stages', async () => {
    const compression = planExperiment(readExperiment(join(CONFIGS_DIR, 'experiments', 'euler64-compression.yaml')), 'compression', { out: '/tmp/none' });
    expect(compression.stages.filter((s) => s.kind === 'train-ae')).toHaveLength(3);
    expect(compression.stages.filter((s) => s.kind === 'eval')).toHaveLength(6);
    const rates = compression.stages.flatMap((s) => (s.kind === 'train-ae' ? [s.config] : [])).map((c) => (5 * 64 * 64) / (c.ae.lat_channels * (64 / 2 ** (c.ae.hid_channels.length - 1)) ** 2));
    expect(rates).toEqual([20, 80, 320]);
    const quick = planExperiment(readExperiment(join(CONFIGS_DIR, 'experiments', 'euler32-compression-quick.yaml')), 'quick', { out: '/tmp/none' });
    expect(quick.stages.map((s) => s.id)).toEqual(compression.stages.map((s) => s.id));
    const context = planExperiment(readExperiment(join(CONFIGS_DIR, 'experiments', 'euler64-context.yaml')), 'context', { out: '/tmp/none' });
    expect(context.stages.filter((s) => s.kind === 'eval').map((s) => s.id)).toContain('eval/f8c16/surrogate/test_c3');

    const { dir, cleanup } = tempDir('le-experiment-dry-');
    try {
      const r = await runCli('experiment', join(CONFIGS_DIR, 'experiments', 'euler64-compression.yaml'), '--dry-run', '--out', join(dir, 'study'));
      expect(r.code ?? 0).toBe(0);
      expect(r.err).toMatch(/20 stages: 0 done, 0 started \(resume\), 20 to do/);
      expect(r.err).toMatch(/to do +train-ae\/f16c4 +ae\/f16c4/);
      expect(r.err).toMatch(/to do +eval\/f8c4\/diffusion\/test_ab16_c1 +emulators\/f8c4-diffusion\/eval\/test_ab16_c1/);
      expect(r.out).toBe('');
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'name: x\ndata: {generate: {resolution: 16}}\n');
      const e = await runCli('experiment', bad, '--dry-run');
      expect(e.code).not.toBe(0);
      expect(e.err).toContain(`${bad}: `);
      expect(e.err).toMatch(/data\.generate\.trajectories/);
      expect(e.err).toMatch(/autoencoder/);
    } finally {
      cleanup();
    }
  });
});
