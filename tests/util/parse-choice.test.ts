import { parseChoice, WEIGHTS } from '../../lib/util/parse-choice.js';

describe('parseChoice', () => {
  test('returns a listed word and names the flag and every choice otherwise', () => {
    expect(parseChoice('weights', 'best', WEIGHTS)).toBe('best');
    expect(() => parseChoice('weights', 'Best', WEIGHTS)).toThrow("--weights must be state or best, got 'Best'");
    expect(() => parseChoice('split', '', ['train', 'valid', 'test'])).toThrow("--split must be train, valid or test, got ''");
    expect(() => parseChoice('mode', 'x', ['only'])).toThrow("--mode must be only, got 'x'");
  });
});
