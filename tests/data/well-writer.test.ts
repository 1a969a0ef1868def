import { join } from 'node:path';
import { WellWriter } from '../../lib/data/well-writer.js';
import { WellFile } from '../../lib/data/well-file.js';
import { checkWellFormat } from '../../lib/data/format-check.js';
import { patchBoolAttributes, lookup3 } from '../../lib/data/bool-attrs.js';
import { h5wasm, type Dataset } from '../../lib/data/h5.js';
import { tempDir } from './fixtures.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);

test('lookup3 matches the reference hashlittle values', () => {
  // Values from Bob Jenkins' lookup3.c driver: hashlittle("", 0, 0) and "Four score and seven years ago".
  expect(lookup3(new Uint8Array(0))).toBe(0xdeadbeef);
  expect(lookup3(Buffer.from('Four score and seven years ago'))).toBe(0x17770551);
});

test('a 3-D file streamed window by window reads back, with h5py booleans and time-varying scalars', async () => {
  const path = join(dir, 'cube.hdf5');
  const w = await WellWriter.create(path, {
    datasetName: 'cube', nTrajectories: 2, spatialDims: ['x', 'y', 'z'],
    coordinates: { x: [0, 1], y: [0, 1], z: [0, 1, 2] }, time: [0, 1, 2, 3],
    parameters: { rho0: 4.45, Z: 0.1, T0: 100 },
    scalars: [{ name: 'mass', value: [1, 2, 3, 4], timeVarying: true }],
    fields: [{ name: 'density' }, { name: 'velocity', order: 1 }],
    boundaryConditions: { x: 'OPEN', y: 'OPEN', z: 'OPEN' },
    chunking: 'trajectory',
  });
  expect(w.channels).toEqual(['density', 'velocity_x', 'velocity_y', 'velocity_z']);
  for (let b = 0; b < 2; b++) {
    for (const start of [0, 2]) {
      const data = Float32Array.from({ length: 2 * 4 * 12 }, (_, k) => b * 1000 + start * 100 + k);
      w.writeWindow(b, start, { data, shape: [2, 4, 2, 2, 3] });
    }
  }
  expect(() => w.writeWindow(0, 3, { data: new Float32Array(96), shape: [2, 4, 2, 2, 3] })).toThrow(/out of range/);
  w.close();
  expect(await checkWellFormat(path)).toEqual([]);
  const f = await WellFile.open(path);
  expect(f.info.boundaryConditions).toEqual([[1, 1], [1, 1], [1, 1]]);
  expect(f.constantScalars(1)).toEqual({ rho0: expect.closeTo(4.45, 5), Z: expect.closeTo(0.1, 6), T0: 100 });
  const win = f.readWindow(1, 1, 2);
  // Step 1 is the second state of the first window (k = 48..95); step 2 the first of the second.
  expect(win.data[0]).toBe(1000 + 48);
  expect(win.data[48 + 13]).toBe(1000 + 200 + 13);
  f.close();
  const raw = new h5wasm.File(path, 'r');
  const ds = raw.get('t0_fields/density') as Dataset;
  expect(ds.metadata.chunks).toEqual([1, 4, 2, 2, 3]);
  expect(ds.attrs.dim_varying!.json_value).toEqual([true, true, true]);
  expect((ds.attrs.time_varying!.metadata as { type: number }).type).toBe(8); // H5T_ENUM, as h5py writes bool
  raw.close();
  expect(patchBoolAttributes(path)).toBe(0); // nothing left to patch
});

test('bad specs are refused before anything is written', async () => {
  const base = { datasetName: 'x', nTrajectories: 1, spatialDims: ['x'], coordinates: { x: [0, 1] }, time: [0], fields: [{ name: 'u' }] };
  await expect(WellWriter.create(join(dir, 'bad.hdf5'), { ...base, boundaryConditions: { x: 'PERIODICAL' as never } })).rejects.toThrow(/unknown boundary type 'PERIODICAL'/);
  await expect(WellWriter.create(join(dir, 'bad.hdf5'), { ...base, spatialDims: ['x', 'y'] })).rejects.toThrow(/no coordinates for spatial axis 'y'/);
});
