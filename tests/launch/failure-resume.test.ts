// A data-parallel train-ae run end to end through the CLI: two ranks started with torchrun's variables, one
// killed with SIGKILL mid-run; the survivor fails with an error naming itself and the cause well before the
// timeout, the last checkpoint stays whole, and `launch ... -- train-ae --resume` finishes the run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { findCheckpoint } from '../../lib/train/checkpoint.js';
import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';
import { CLI, freePort, run, start } from './helpers.js';

let root: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-dp-cli-'));
  await writeWaves(join(root, 'data'));
});
afterAll(() => cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kill -9 of one rank: the other fails clearly and fast, the checkpoint survives, a resume completes', async () => {
  const preset = join(root, 'run.yaml');
  const config = wavesRun(join(root, 'data'), join(root, 'runs')) as { train: Record<string, unknown>; ae: Record<string, unknown> };
  config.train = { ...config.train, epochs: 12, epoch_size: 2, batch_size: 4, checkpoint_every: 1 };
  writeFileSync(preset, stringify(config));
  const runDir = join(root, 'runs', 'dp');
  const port = await freePort();
  const ranks = [0, 1].map((rank) =>
    start([CLI, 'train-ae', '--config', preset, '--run-dir', runDir, '--progress', 'none'], {
      RANK: String(rank),
      LOCAL_RANK: String(rank),
      WORLD_SIZE: '2',
      LOCAL_WORLD_SIZE: '2',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: String(port),
    }),
  );
  // Wait for the first checkpoint, then kill rank 1 mid-run.
  const manifest = join(runDir, 'state.json');
  for (let waited = 0; !existsSync(manifest); waited += 50) {
    if (waited > 90_000) throw new Error(`no checkpoint after 90 s; rank 0 said: ${await Promise.race([ranks[0]!.done.then((f) => f.err), sleep(10).then(() => '(running)')])}`);
    await sleep(50);
  }
  const killedAt = performance.now();
  ranks[1]!.child.kill('SIGKILL');
  const [survivor, killed] = await Promise.all(ranks.map((r) => r.done));
  expect(killed.signal).toBe('SIGKILL');
  expect(survivor.code).toBe(1);
  expect(survivor.err).toMatch(/distributed [\s\S]* failed on rank 0 of 2 \(gloo, 127\.0\.0\.1:\d+\): [\s\S]+another rank probably exited/);
  expect((performance.now() - killedAt) / 1000).toBeLessThan(30);  // the timeout is 60 s: the peer's death is seen, not waited out

  const found = findCheckpoint(runDir, 'state');
  expect(found?.rejected).toEqual([]);
  const saved = JSON.parse(readFileSync(manifest, 'utf8')) as { info: { epoch: number } };
  expect(saved.info.epoch).toBeGreaterThanOrEqual(1);
  expect(saved.info.epoch).toBeLessThan(12);

  const resumed = await run([CLI, 'launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--', 'train-ae', '--resume', runDir, '--progress', 'lines']);
  expect(resumed.code).toBe(0);
  expect(resumed.err).toMatch(new RegExp(`resuming from ${join(runDir, 'state.safetensors').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at epoch ${saved.info.epoch}`));
  expect(resumed.out.trim()).toBe(runDir);  // printed once, by rank 0
  const epochs = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { epoch: number }).epoch);
  expect(epochs).toEqual(Array.from({ length: 12 }, (_, k) => k));  // each epoch once: rank 0 alone writes metrics
  expect(JSON.parse(readFileSync(manifest, 'utf8')).info.epoch).toBe(12);
}, 240_000);
