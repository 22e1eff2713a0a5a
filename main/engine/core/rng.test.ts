import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { Rng, streamSeed } from './rng';

/** The lab's streams before rng.ts drew in place: pure-rand's generator and distribution. */
class PureRandRng {
  private readonly gen;
  constructor(seed: number, stream = '') {
    this.gen = xoroshiro128plus(streamSeed(seed, stream));
  }
  next(): number {
    return uniformFloat64(this.gen);
  }
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }
  exp(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}

const SEEDS = [0, 1, -1, 42, 12345, 0x7fffffff, -0x80000000, 2 ** 32 + 7, 2 ** 40 + 3, 987654321];
const STREAMS = ['', 'thread:vm1/t0', 'pool:vm2', 'thread:native/job-3'];

describe('Rng', () => {
  it('draws the same numbers as pure-rand xoroshiro128plus + uniformFloat64', () => {
    for (const seed of SEEDS)
      for (const stream of STREAMS) {
        const a = new Rng(seed, stream);
        const b = new PureRandRng(seed, stream);
        let differ = 0;
        for (let i = 0; i < 20_000; i++) {
          const k = i % 4;
          const n = 1 + (i % 977) * 104729;
          const mean = 1e9 / (1 + (i % 300));
          if (k === 0) differ += a.next() === b.next() ? 0 : 1;
          else if (k === 1) differ += a.int(n) === b.int(n) ? 0 : 1;
          else if (k === 2) differ += a.exp(mean) === b.exp(mean) ? 0 : 1;
          else differ += a.int(2 ** 40) === b.int(2 ** 40) ? 0 : 1;
        }
        expect({ seed, stream, differ }).toEqual({ seed, stream, differ: 0 });
      }
  });

  it('draws a long stream identically', () => {
    const a = new Rng(7, 'long');
    const b = new PureRandRng(7, 'long');
    let same = true;
    for (let i = 0; i < 2_000_000; i++) if (a.next() !== b.next()) same = false;
    expect(same).toBe(true);
  });

  it('stays in [0, 1) and [0, n)', () => {
    const r = new Rng(3, 'range');
    for (let i = 0; i < 10_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      const k = r.int(5);
      expect(Number.isInteger(k) && k >= 0 && k < 5).toBe(true);
    }
  });
});
