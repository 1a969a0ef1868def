// The exact solution of the 1-D Riemann problem for an ideal gas (Toro, "Riemann Solvers and
// Numerical Methods for Fluid Dynamics", ch. 4): Newton iteration for the star pressure, then
// sampling the self-similar solution at ξ = x/t. The reference the Euler solver converges to.

export interface Primitive1D {
  rho: number;
  u: number;
  p: number;
}

function pressureFunction(p: number, s: Primitive1D, gamma: number): { f: number; df: number } {
  const c = Math.sqrt((gamma * s.p) / s.rho);
  if (p > s.p) {
    const A = 2 / ((gamma + 1) * s.rho);
    const B = ((gamma - 1) / (gamma + 1)) * s.p;
    const q = Math.sqrt(A / (p + B));
    return { f: (p - s.p) * q, df: q * (1 - (p - s.p) / (2 * (B + p))) };
  }
  const r = p / s.p;
  return { f: ((2 * c) / (gamma - 1)) * (r ** ((gamma - 1) / (2 * gamma)) - 1), df: (1 / (s.rho * c)) * r ** (-(gamma + 1) / (2 * gamma)) };
}

export function starState(L: Primitive1D, R: Primitive1D, gamma: number): { p: number; u: number } {
  const cL = Math.sqrt((gamma * L.p) / L.rho);
  const cR = Math.sqrt((gamma * R.p) / R.rho);
  if ((2 / (gamma - 1)) * (cL + cR) <= R.u - L.u) throw new Error('the initial data generate vacuum');
  let p = Math.max(1e-8, 0.5 * (L.p + R.p) - 0.125 * (R.u - L.u) * (L.rho + R.rho) * (cL + cR));
  for (let k = 0; k < 100; k++) {
    const a = pressureFunction(p, L, gamma);
    const b = pressureFunction(p, R, gamma);
    const next = Math.max(1e-10, p - (a.f + b.f + R.u - L.u) / (a.df + b.df));
    const change = (2 * Math.abs(next - p)) / (next + p);
    p = next;
    if (change < 1e-14) break;
  }
  const u = 0.5 * (L.u + R.u) + 0.5 * (pressureFunction(p, R, gamma).f - pressureFunction(p, L, gamma).f);
  return { p, u };
}

/** The exact solution at ξ = x/t (x measured from the initial discontinuity). */
export function sampleRiemann(L: Primitive1D, R: Primitive1D, gamma: number, xi: number): Primitive1D {
  const { p: ps, u: us } = starState(L, R, gamma);
  const g1 = (gamma - 1) / (gamma + 1);
  if (xi <= us) {
    const cL = Math.sqrt((gamma * L.p) / L.rho);
    if (ps > L.p) {
      const S = L.u - cL * Math.sqrt(((gamma + 1) / (2 * gamma)) * (ps / L.p) + (gamma - 1) / (2 * gamma));
      if (xi <= S) return L;
      return { rho: L.rho * ((ps / L.p + g1) / (g1 * (ps / L.p) + 1)), u: us, p: ps };
    }
    const head = L.u - cL;
    const cs = cL * (ps / L.p) ** ((gamma - 1) / (2 * gamma));
    const tail = us - cs;
    if (xi <= head) return L;
    if (xi >= tail) return { rho: L.rho * (ps / L.p) ** (1 / gamma), u: us, p: ps };
    const c = (2 / (gamma + 1)) * (cL + ((gamma - 1) / 2) * (L.u - xi));
    const rho = L.rho * (c / cL) ** (2 / (gamma - 1));
    return { rho, u: (2 / (gamma + 1)) * (cL + ((gamma - 1) / 2) * L.u + xi), p: L.p * (c / cL) ** ((2 * gamma) / (gamma - 1)) };
  }
  const cR = Math.sqrt((gamma * R.p) / R.rho);
  if (ps > R.p) {
    const S = R.u + cR * Math.sqrt(((gamma + 1) / (2 * gamma)) * (ps / R.p) + (gamma - 1) / (2 * gamma));
    if (xi >= S) return R;
    return { rho: R.rho * ((ps / R.p + g1) / (g1 * (ps / R.p) + 1)), u: us, p: ps };
  }
  const head = R.u + cR;
  const cs = cR * (ps / R.p) ** ((gamma - 1) / (2 * gamma));
  const tail = us + cs;
  if (xi >= head) return R;
  if (xi <= tail) return { rho: R.rho * (ps / R.p) ** (1 / gamma), u: us, p: ps };
  const c = (2 / (gamma + 1)) * (cR - ((gamma - 1) / 2) * (R.u - xi));
  const rho = R.rho * (c / cR) ** (2 / (gamma - 1));
  return { rho, u: (2 / (gamma + 1)) * (-cR + ((gamma - 1) / 2) * R.u + xi), p: R.p * (c / cR) ** ((2 * gamma) / (gamma - 1)) };
}

/** Cell averages of the exact density on n cells of [0, 1] (discontinuity at x0), by midpoint sub-sampling. */
export function exactDensityAverages(L: Primitive1D, R: Primitive1D, gamma: number, x0: number, t: number, n: number, sub = 16): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < sub; k++) s += sampleRiemann(L, R, gamma, ((i + (k + 0.5) / sub) / n - x0) / t).rho;
    out[i] = s / sub;
  }
  return out;
}
