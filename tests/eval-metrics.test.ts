import { fieldMetrics } from '../lib/eval/metrics.js';

test('VRMSE, RMSE and NRMSE against hand-computed values', () => {
  // u = [1, 2, 3, 4] (mean 2.5, unbiased var 5/3, mean square 7.5), v = u + [1, -1, 1, -1] → mse 1.
  const u = { data: Float32Array.from([1, 2, 3, 4]), shape: [1, 1, 4] };
  const v = { data: Float32Array.from([2, 1, 4, 3]), shape: [1, 1, 4] };
  const m = fieldMetrics(u, v);
  expect(m.rmse[0]![0]).toBeCloseTo(1, 12);
  expect(m.vrmse[0]![0]).toBeCloseTo(Math.sqrt(1 / (5 / 3 + 1e-6)), 12);
  expect(m.nrmse[0]![0]).toBeCloseTo(Math.sqrt(1 / (7.5 + 1e-6)), 12);
  // Predicting the mean gives VRMSE sqrt((n-1)/n) = sqrt(3/4).
  const mean = { data: Float32Array.from([2.5, 2.5, 2.5, 2.5]), shape: [1, 1, 4] };
  expect(fieldMetrics(u, mean).vrmse[0]![0]).toBeCloseTo(Math.sqrt(3 / 4), 6);
  expect(() => fieldMetrics(u, { data: new Float32Array(3), shape: [1, 1, 3] })).toThrow(/differ in shape/);
});
