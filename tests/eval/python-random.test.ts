import { chooseTrajectories, PythonRandom } from '../../lib/eval/python-random.js';

describe('PythonRandom', () => {
  test('reproduces random.Random(0).random()', () => {
    // python3 -c "import random; r = random.Random(0); print([r.random() for _ in range(3)])"
    const r = new PythonRandom(0);
    expect([r.random(), r.random(), r.random()]).toEqual([0.8444218515250481, 0.7579544029403025, 0.420571580830845]);
  });

  test('seeds wider than 32 bits use both words, as Python', () => {
    // python3 -c "import random; print(random.Random(2**40 + 7).random())"
    expect(new PythonRandom(2 ** 40 + 7).random()).toBe(0.6137037779936511);
  });

  test('the generator state refills after 624 words', () => {
    // python3 -c "import random; r = random.Random(0); [r.random() for _ in range(400)]; print(r.random())"
    const r = new PythonRandom(0);
    for (let i = 0; i < 400; i++) r.random();
    expect(r.random()).toBe(0.7980594711041583);
  });

  test('trajectory choice: int(u · n) in draw order, repeats skipped, capped at n', () => {
    // u = 0.844…, 0.757…, 0.420… → indices 8, 7, 4 of 10
    expect(chooseTrajectories(10, 3, 0)).toEqual([8, 7, 4]);
    const all = chooseTrajectories(5, 64, 0);
    expect([...all].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(() => chooseTrajectories(0, 3)).toThrow(/no trajectories/);
    expect(() => new PythonRandom(-1)).toThrow(/non-negative/);
  });
});
