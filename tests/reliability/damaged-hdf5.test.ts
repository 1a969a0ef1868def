// A damaged HDF5 file: a flipped byte in a chunk's B-tree makes libhdf5 fail the read. That failure must
// surface as an exception naming the file and the dataset, never as zeros or NaN handed to training.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { WellFile } from '../../lib/data/well-file.js';
import { WellWriter } from '../../lib/data/well-writer.js';
import { checkFiniteBatch } from '../../lib/util/finite-check.js';
import { tempDir } from '../train/fixtures.js';

const { dir, cleanup } = tempDir('le-damaged-');
afterAll(() => cleanup());

const T = 6;
const N = 8;
async function writeFile(path: string): Promise<Float32Array> {
  const coords = Array.from({ length: N }, (_, i) => i / N);
  const w = await WellWriter.create(path, {
    datasetName: 'damaged',
    nTrajectories: 2,
    spatialDims: ['x', 'y'],
    coordinates: { x: coords, y: coords },
    time: Array.from({ length: T }, (_, t) => t),
    fields: [{ name: 'density' }],
  });
  const data = Float32Array.from({ length: T * N * N }, (_, i) => 1 + (i % 17));
  w.writeTrajectory(0, { data, shape: [T, 1, N, N] });
  w.writeTrajectory(1, { data, shape: [T, 1, N, N] });
  w.close();
  return data;
}

/** Byte offsets of every version-1 B-tree node ("TREE") of node type 1 (raw data chunks). */
function chunkBtreeNodes(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = bytes.indexOf('TREE'); at >= 0; at = bytes.indexOf('TREE', at + 1)) if (bytes[at + 4] === 1) out.push(at);
  return out;
}

test('a flipped byte in the chunk B-tree: the read throws, naming the file and the dataset', async () => {
  const path = join(dir, 'damaged.hdf5');
  const data = await writeFile(path);
  const intact = await WellFile.open(path);
  expect(Array.from(intact.readWindow(1, 0, T, 1, ['density']).data)).toEqual(Array.from(data));
  intact.close();

  const bytes = readFileSync(path);
  const nodes = chunkBtreeNodes(bytes);
  expect(nodes.length).toBeGreaterThan(0);
  // Node layout: "TREE", type (1), level (1), entries used (2), left and right sibling (8 + 8), then
  // key 0 (chunk size 4, filter mask 4, offsets 8 per dimension + 8), child address 0 (8), key 1, ...
  // Flip the high byte of child address 0: the chunk is now looked for far outside the file.
  const node = nodes[0]!;
  const rank = 4; // (trajectory, time, x, y) + the element dimension
  const child0 = node + 24 + 8 + 8 * (rank + 1);
  bytes[child0 + 6] ^= 0x40;
  writeFileSync(path, bytes);

  const damaged = await WellFile.open(path);
  try {
    expect(() => damaged.readWindow(0, 0, T, 1, ['density'])).toThrow(new RegExp(`HDF5 error reading ${path.replace(/[.]/g, '\\.')} \\(dataset t0_fields/density\\)`));
  } finally {
    damaged.close();
  }
});

test('non-finite training inputs are refused with a count, beyond the skipped-step rule', () => {
  const state = new Float32Array(2 * 4).fill(1);
  state[5] = NaN;
  state[6] = Infinity;
  const batch = { state: { data: state, shape: [2, 4] }, label: { data: new Float32Array(2), shape: [2, 1] } };
  expect(() => checkFiniteBatch(batch, [7, 3])).toThrow('training batch holds 2 non-finite state value(s) of 8 and 0 non-finite label value(s), in dataset item(s) 3');
  state[5] = 0;
  state[6] = 0;
  expect(() => checkFiniteBatch(batch, [7, 3])).not.toThrow();
});
