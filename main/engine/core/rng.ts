/**
 * Seeded random numbers. Every random source in a run (each workload thread, the pool's worker
 * choice, …) gets its own stream derived from the spec's seed and a stable stream name, so adding a
 * thread never changes the numbers another thread draws.
 *
 * The generator is xoroshiro128+ and a draw in [0, 1) is built from two 32-bit outputs exactly as
 * pure-rand 8's `xoroshiro128plus` + `uniformFloat64` do (the streams of every earlier version of
 * the lab; rng.test.ts compares both over many seeds and draws). It is written out here so that a
 * draw allocates nothing: the state lives in an Int32Array (pure-rand keeps it in object fields,
 * where 32-bit values outside V8's small-integer range are heap numbers) and `int`/`exp` compute
 * the double in place instead of taking it back from a call.
 */

/** FNV-1a over the stream name, mixed with the seed: a 32-bit seed per stream. */
export function streamSeed(seed: number, stream: string): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= Math.floor(seed / 0x100000000);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) | 0;
}

/** 2^-26 and 2^-53: uniformFloat64's scales (26 high bits, then 27 low bits). */
const SCALE26 = 1.4901161193847656e-8;
const SCALE53 = 1.1102230246251565e-16;
const MASK26 = 0x3ffffff;
const MASK27 = 0x7ffffff;

export class Rng {
  /** xoroshiro128+ state as pure-rand names it: [s01, s00, s11, s10] (two 64-bit words in halves). */
  private readonly s = new Int32Array(4);

  constructor(seed: number, stream = '') {
    // pure-rand's xoroshiro128plus(seed): new XoroShiro128Plus(-1, ~seed, seed | 0, 0).
    const k = streamSeed(seed, stream);
    const s = this.s;
    s[0] = -1;
    s[1] = ~k;
    s[2] = k | 0;
    s[3] = 0;
  }

  /** One 32-bit output of xoroshiro128+ (pure-rand's XoroShiro128Plus.next, state update included). */
  private bits(): number {
    const s = this.s;
    const s01 = s[0];
    const s00 = s[1];
    const s11 = s[2];
    const s10 = s[3];
    const out = (s00 + s10) | 0;
    const a0 = s10 ^ s00;
    const a1 = s11 ^ s01;
    s[1] = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
    s[0] = (s01 << 24) ^ (s00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
    s[3] = (a1 << 5) ^ (a0 >>> 27);
    s[2] = (a0 << 5) ^ (a1 >>> 27);
    return out;
  }

  /** Uniform in [0, 1), a multiple of 2^-53 (uniformFloat64). */
  next(): number {
    const hi = this.bits() & MASK26;
    const lo = this.bits() & MASK27;
    return hi * SCALE26 + lo * SCALE53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    const hi = this.bits() & MASK26;
    const lo = this.bits() & MASK27;
    return Math.min(n - 1, Math.floor((hi * SCALE26 + lo * SCALE53) * n));
  }

  /** Exponentially distributed with the given mean. */
  exp(mean: number): number {
    const hi = this.bits() & MASK26;
    const lo = this.bits() & MASK27;
    return -mean * Math.log(1 - (hi * SCALE26 + lo * SCALE53));
  }
}
