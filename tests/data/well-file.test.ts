import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WellFile } from '../../lib/data/well-file.js';
import { checkWellFormat } from '../../lib/data/format-check.js';
import { WellFormatError } from '../../lib/data/errors.js';
import { h5wasm, type Dataset } from '../../lib/data/h5.js';
import { tempDir, toyValue, writeRawWell, writeToyWell } from './fixtures.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);

describe('WellFile', () => {
  const path = join(dir, 'toy.hdf5');
  beforeAll(async () => {
    await writeToyWell(path, { B: 2, T: 6, shape: [4, 3], tensor: true, constantField: true, compression: 4 });
  });

  test('reads the structure: fields, channels, parameters, mixed boundary conditions', async () => {
    const f = await WellFile.open(path);
    const { info } = f;
    expect(info.datasetName).toBe('toy');
    expect(info.nTrajectories).toBe(2);
    expect(info.nSteps).toBe(6);
    expect(info.spatialDims).toEqual(['x', 'y']);
    expect(info.spatialShape).toEqual([4, 3]);
    expect(info.simulationParameters).toEqual(['gamma']);
    expect(info.channels).toEqual(['density', 'pressure', 'velocity_x', 'velocity_y', 'stress_xx', 'stress_xy', 'stress_yx', 'stress_yy']);
    expect(info.fields.map((x) => [x.name, x.order, x.timeVarying])).toEqual([
      ['density', 0, true],
      ['pressure', 0, true],
      ['mask', 0, false],
      ['velocity', 1, true],
      ['stress', 2, true],
    ]);
    // x periodic on both ends; y wall at the low end, open at the high end.
    expect(info.boundaryConditions).toEqual([[2, 2], [0, 1]]);
    expect(f.constantScalars()).toEqual({ gamma: expect.closeTo(1.4, 6) });
    expect(Array.from(f.readTime())).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
    f.close();
  });

  test('the written file passes the format checks of The Well (h5py booleans, integers)', async () => {
    expect(await checkWellFormat(path)).toEqual([]);
  });

  test('datasets are chunked per state and gzip-compressed', async () => {
    const f = new h5wasm.File(path, 'r');
    const ds = f.get('t1_fields/velocity') as Dataset;
    expect(ds.metadata.chunks).toEqual([1, 1, 4, 3, 2]);
    expect(ds.filters.map((x) => x.name)).toContain('deflate');
    f.close();
  });

  test('a strided window holds the hand-computed values, (T, C, ...space)', async () => {
    const f = await WellFile.open(path);
    const w = f.readWindow(1, 1, 3, 2, ['velocity_y', 'density', 'stress_yx']);
    expect(w.shape).toEqual([3, 3, 4, 3]);
    // t = 1, 3, 5; velocity_y is channel 3 of the file, density 0, stress_yx 6.
    expect(w.data[0]).toBe(toyValue(1, 1, 3, 0)); // 1000 + 100 + 30 = 1130
    expect(w.data[0]).toBe(1130);
    expect(w.data[12 + 5]).toBe(toyValue(1, 1, 0, 5));
    expect(w.data[2 * 12 + 11]).toBe(toyValue(1, 1, 6, 11));
    expect(w.data[2 * 36 + 12 + 7]).toBe(1000 + 500 + 0 + 7);
    // The whole window, element by element.
    const src = [3, 0, 6];
    for (let t = 0; t < 3; t++) for (let c = 0; c < 3; c++) for (let i = 0; i < 12; i++) expect(w.data[(t * 3 + c) * 12 + i]).toBe(toyValue(1, 1 + 2 * t, src[c]!, i));
    f.close();
  });

  test('a field name expands to its components; constant fields are broadcast over time and missing axes', async () => {
    const f = await WellFile.open(path);
    const w = f.readWindow(0, 2, 2, 1, ['velocity', 'mask']);
    expect(w.shape).toEqual([2, 3, 4, 3]);
    expect(w.data[0]).toBe(toyValue(0, 2, 2, 0));
    expect(w.data[12]).toBe(toyValue(0, 2, 3, 0));
    // mask varies along x only (values i + 0.5), tiled along y and time.
    const mask = Array.from(w.data.subarray(24, 36));
    expect(mask).toEqual([0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 2.5, 2.5, 2.5, 3.5, 3.5, 3.5]);
    expect(Array.from(w.data.subarray(36 + 24, 36 + 36))).toEqual(mask);
    f.close();
  });

  test('an unknown field name suggests the closest one', async () => {
    const f = await WellFile.open(path);
    expect(() => f.readWindow(0, 0, 1, 1, ['densty'])).toThrow(/no field or channel 'densty' \(did you mean 'density'\?\)/);
    expect(() => f.readWindow(0, 4, 2, 2)).toThrow(/exceeds 6 time steps/);
    f.close();
  });
});

describe('bad input gives an error naming the file and the problem, at open time', () => {
  test('not an HDF5 file', async () => {
    const p = join(dir, 'notes.hdf5');
    writeFileSync(p, 'just some text, certainly not HDF5\n'.repeat(40));
    await expect(WellFile.open(p)).rejects.toThrow(new WellFormatError(p, 'not an HDF5 file (no HDF5 signature found)'));
  });

  test('a truncated file', async () => {
    const whole = join(dir, 'whole.hdf5');
    await writeToyWell(whole, { B: 2, T: 4 });
    const p = join(dir, 'truncated.hdf5');
    const bytes = readFileSync(whole);
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(WellFile.open(p)).rejects.toThrow(`${p}: truncated HDF5 file: ${Math.floor(bytes.length / 2)} bytes on disk, but the superblock says ${bytes.length}`);
  });

  test('a missing file', async () => {
    await expect(WellFile.open(join(dir, 'nope.hdf5'))).rejects.toThrow(/nope\.hdf5: cannot open file \(ENOENT\)/);
  });

  test('a missing group', async () => {
    const p = join(dir, 'nogroup.hdf5');
    await writeRawWell(p, { skipGroup: 't1_fields' });
    await expect(WellFile.open(p)).rejects.toThrow(`${p}: missing group '/t1_fields'`);
  });

  test('a missing field', async () => {
    const p = join(dir, 'nofield.hdf5');
    await writeRawWell(p, { skipField: true });
    await expect(WellFile.open(p)).rejects.toThrow(`${p}: field 'density' is listed in /t0_fields field_names but missing`);
  });

  test('a field with the wrong shape', async () => {
    const p = join(dir, 'shape.hdf5');
    await writeRawWell(p, { densityShape: [2, 5, 4, 2] });
    await expect(WellFile.open(p)).rejects.toThrow(`${p}: field 'density' in /t0_fields has shape [2,5,4,2], expected [2,5,4,3] (n_trajectories=2, time=5, x=4, y=3)`);
  });

  test('a well-formed raw file opens (int8 flags accepted, lower-case bc_type)', async () => {
    const p = join(dir, 'raw.hdf5');
    await writeRawWell(p);
    const f = await WellFile.open(p);
    expect(f.info.boundaryConditions).toEqual([[2, 2], [1, 1]]);
    f.close();
  });

  test('a copy of a good file still opens (sanity check of the truncation test)', async () => {
    const p = join(dir, 'copy.hdf5');
    copyFileSync(join(dir, 'whole.hdf5'), p);
    const [copy, original] = [await WellFile.open(p), await WellFile.open(join(dir, 'whole.hdf5'))];
    expect(copy.info.nTrajectories).toBeGreaterThan(0);
    expect({ ...copy.info, path: undefined }).toEqual({ ...original.info, path: undefined });
    copy.close();
    original.close();
  });
});
