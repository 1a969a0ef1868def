// A rank that never starts: the ranks that did wait for it no longer than the timeout (torch's `timeout`:
// `launch --timeout`, $LATENT_EMULATOR_DIST_TIMEOUT) and then fail with an error naming the missing ranks
// and the address they were expected at; a rank whose rank 0 never starts names rank 0's store.
import { CLI, freePort, run } from './helpers.js';

const WORKER = 'tests/launch/dp-worker.mjs';
const worker = { MODEL: 'ae', OUT: '/nonexistent' };  // never gets as far as writing

test('launch --timeout 3 for the first node of a 3-node job: rank 0 fails within the timeout naming ranks 1 and 2', async () => {
  const port = await freePort();
  const r = await run([CLI, 'launch', '--nproc-per-node', '1', '--nnodes', '3', '--node-rank', '0', '--master-port', String(port), '--timeout', '3', '--', 'node', WORKER], worker);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(new RegExp(`rendezvous failed on rank 0 of 3: ranks 1 and 2 never joined the rendezvous store \\(TCPStore server\\) at 127\\.0\\.0\\.1:${port} within the timeout \\(3 s;`));
  expect(r.err).toMatch(/launch failed: rank 0 \(local rank 0, pid \d+\) exited with code 1/);
  expect(r.seconds).toBeLessThan(30);  // 3 s of waiting plus a process's start-up: no hang
}, 60_000);

test('a rank whose rank 0 never starts names rank 0 and its address', async () => {
  const port = await freePort();
  const r = await run(['node', WORKER], { ...worker, RANK: '1', LOCAL_RANK: '1', WORLD_SIZE: '2', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), LATENT_EMULATOR_DIST_TIMEOUT: '2' });
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(new RegExp(`rendezvous failed on rank 1 of 2: cannot reach rank 0's rendezvous store at 127\\.0\\.0\\.1:${port} within the timeout \\(2 s\\): [^\\n]*— it has not started, has exited, or listens elsewhere`));
  expect(r.seconds).toBeLessThan(30);
}, 60_000);

test('a timeout that is not a positive number is refused before anything starts', async () => {
  const flag = await run([CLI, 'launch', '--nproc-per-node', '2', '--timeout', '0', '--', 'node', '-e', '']);
  expect(flag.code).toBe(1);
  expect(flag.err).toMatch(/--timeout must be a positive number of seconds, got 0/);
  const env = await run(['node', WORKER], { ...worker, RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(await freePort()), LATENT_EMULATOR_DIST_TIMEOUT: 'soon' });
  expect(env.code).not.toBe(0);
  expect(env.err).toMatch(/LATENT_EMULATOR_DIST_TIMEOUT="soon" is not a positive number of seconds/);
}, 60_000);
