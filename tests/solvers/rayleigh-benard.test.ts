// The Rayleigh–Bénard solver: linear stability around the critical Rayleigh number of the no-slip
// problem (Ra_c ≈ 1707.76, at wavenumber 3.117; the 4 × 1 box holds two wavelengths of 2, i.e.
// wavenumber π, whose threshold is Ra ≈ 1708.8), the Nusselt number of steady rolls against a
// published value, a velocity field divergence-free to round-off, and bad input.
import { RayleighBenardSolver, chebyshevNodes } from '../../lib/solvers/rayleigh-benard.js';
import { getNumThreads, setNumThreads } from '../../lib/runtime.js';

// Small grids: one libtorch thread is fastest and does not fight other test workers.
let threads = 1;
beforeAll(() => {
  threads = getNumThreads();
  setNumThreads(1);
});
afterAll(() => setNumThreads(threads));

/** Conductive profile plus a roll-shaped perturbation of wavelength 2 (two roll pairs in the box). */
function rollPerturbation(nx: number, ny: number, amplitude: number): Float64Array {
  const y = chebyshevNodes(ny);
  const out = new Float64Array(nx * ny);
  for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) out[i * ny + j] = 1 - y[j]! + amplitude * Math.cos((Math.PI * 4 * i) / nx) * Math.sin(Math.PI * y[j]!);
  return out;
}

async function run(rayleigh: number, prandtl: number, nx: number, ny: number, amplitude: number, times: number[]) {
  const solver = new RayleighBenardSolver({ nx, ny, rayleigh, prandtl });
  await solver.setState(rollPerturbation(nx, ny, amplitude), 1);
  const out = [];
  for (const t of times) {
    const r = await solver.advance(t);
    r.snapshot.dispose();
    out.push(r);
  }
  return out;
}

describe('Rayleigh–Bénard linear stability', () => {
  test('perturbations decay below Ra_c and grow above it', async () => {
    const times = [20, 40];
    const below = await run(1500, 1, 32, 16, 1e-3, times);
    const above = await run(2000, 1, 32, 16, 1e-3, times);
    // Energy ratio over the second half: the transient from rest is over by t = 20.
    const rate = (r: typeof below) => Math.log(r[1]!.kinetic[0]! / r[0]!.kinetic[0]!) / 20;
    expect(rate(below)).toBeLessThan(-0.005);
    expect(rate(above)).toBeGreaterThan(0.005);
  });
});

describe('Rayleigh–Bénard convection', () => {
  test('the Nusselt number of steady rolls matches Clever & Busse (1974)', async () => {
    // Clever, R. M. & Busse, F. H. (1974), "Transition to time-dependent convection", J. Fluid Mech.
    // 65, 625–645: steady 2-D rolls between no-slip, fixed-temperature plates, Pr = 0.71,
    // wavenumber 3.117: Nu = 2.661 at Ra = 10^4. Here: wavenumber π (two roll pairs in the 4 × 1 box).
    const times = Array.from({ length: 21 }, (_, k) => 100 + k);
    const r = await run(1e4, 0.71, 64, 24, 0.05, times);
    const nu = r.map((s) => s.nusselt[0]!);
    const mean = nu.reduce((a, b) => a + b, 0) / nu.length;
    expect(Math.abs(mean - 2.661) / 2.661).toBeLessThan(0.05);
    // Steady: the average is not a mix of transients.
    expect(Math.max(...nu) - Math.min(...nu)).toBeLessThan(0.01 * mean);
    // Incompressible to round-off: |∇·u|·dx against the largest velocity.
    for (const s of r) expect((s.maxDivergence * (4 / 64)) / s.maxSpeed).toBeLessThan(1e-10);
  });
});

describe('Rayleigh–Bénard bad input', () => {
  test('non-physical parameters are refused with their valid range', () => {
    expect(() => new RayleighBenardSolver({ nx: 32, ny: 16, rayleigh: -1e6, prandtl: 1 })).toThrow(/rayleigh must be a positive number/);
    expect(() => new RayleighBenardSolver({ nx: 32, ny: 16, rayleigh: 1e6, prandtl: 0 })).toThrow(/prandtl must be a positive number/);
    expect(() => new RayleighBenardSolver({ nx: 6, ny: 16, rayleigh: 1e6, prandtl: 1 })).toThrow(/resolution x must be an even integer >= 8/);
    expect(() => new RayleighBenardSolver({ nx: 32, ny: 2, rayleigh: 1e6, prandtl: 1 })).toThrow(/resolution y must be an integer >= 4/);
    expect(() => new RayleighBenardSolver({ nx: 32, ny: 16, rayleigh: 1e6, prandtl: 1, cfl: 2 })).toThrow(/cfl must be in \(0, 1\]/);
  });
});
