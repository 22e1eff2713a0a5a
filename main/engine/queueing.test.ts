/**
 * Queueing theory against the whole stack: random 4 KiB reads of one native process on sata-7200
 * under FIFO (noop). The service time of a random read is
 *   S = controller overhead + seek(distance) + rotational latency + transfer,
 * with the seek distance between two uniformly random LBAs (cylinders weighted by their
 * capacity: outer zones hold more sectors), rotational latency uniform over one revolution, and
 * the transfer of 8 sectors at the zone's media rate. From the disk's published parameters alone
 * the test derives E[S] and E[S^2], then checks
 *   - QD1 closed loop: mean latency = E[S];
 *   - Poisson arrivals (M/G/1): mean response = E[S] + lambda E[S^2] / (2 (1 - rho))  (Pollaczek-Khinchine)
 * at rho = 0.3, 0.6 and 0.8, within a 95 % confidence interval from independent replications.
 */
import { describe, expect, it } from 'vitest';
import type { HddSpec, SpecInput } from '../common/spec/schema';
import { parseSpec } from '../common/spec/validate';
import { resolveDiskSpec, seekTimeMs } from './disk/index';
import { simulate } from './simulation';

const disk = resolveDiskSpec({ preset: 'sata-7200' }) as HddSpec;
const REGION_GB = 300;

/** Moments of the service time (ms) of a random read of `sectors` 512-byte sectors in [0, REGION_GB). */
function serviceMoments(sectors: number): { mean: number; m2: number } {
  const rev = 60_000 / disk.rpm;
  const bytesPerSector = disk.sector_bytes;
  const regionSectors = (REGION_GB * 1024 ** 3) / bytesPerSector;
  // capacity-weighted cylinder bins
  const BIN = 100;
  const bins: { cyl: number; w: number; spt: number }[] = [];
  let lba = 0;
  let cyl = 0;
  for (const z of disk.zones) {
    for (let c = 0; c < z.cylinders; c += BIN) {
      const n = Math.min(BIN, z.cylinders - c);
      const cap = n * disk.heads * z.sectors_per_track;
      const inRegion = Math.max(0, Math.min(cap, regionSectors - lba));
      if (inRegion > 0) bins.push({ cyl: cyl + c + n / 2, w: inRegion, spt: z.sectors_per_track });
      lba += cap;
    }
    cyl += z.cylinders;
  }
  const W = bins.reduce((s, b) => s + b.w, 0);
  let eX = 0;
  let eX2 = 0;
  for (const a of bins)
    for (const b of bins) {
      const d = a === b ? BIN / 3 : Math.abs(a.cyl - b.cyl);
      const x = seekTimeMs(disk, d);
      const p = (a.w / W) * (b.w / W);
      eX += p * x;
      eX2 += p * x * x;
    }
  let eT = 0;
  let eT2 = 0;
  for (const b of bins) {
    const t = (rev * sectors * 512) / (b.spt * bytesPerSector);
    eT += (b.w / W) * t;
    eT2 += (b.w / W) * t * t;
  }
  const o = disk.controller_overhead_ms;
  const mean = o + eX + rev / 2 + eT;
  const variance = eX2 - eX * eX + (rev * rev) / 12 + (eT2 - eT * eT);
  return { mean, m2: variance + mean * mean };
}

const spec = (seed: number, duration: number, rate?: number): SpecInput => ({
  name: 'mg1',
  seed,
  duration_s: duration,
  warmup_s: 2,
  sample_interval_ms: 1000,
  trace_max_points: 0,
  disk: { preset: 'sata-7200' },
  host: { scheduler: 'noop' },
  native: [
    {
      name: 'rand',
      op: 'read',
      pattern: 'random',
      block_kb: 4,
      iodepth: 1,
      offset_gb: 0,
      size_gb: REGION_GB,
      ...(rate ? { arrival: { type: 'poisson' as const, rate_iops: rate } } : {}),
    },
  ],
});

/** Mean and 95 % half-width over independent replications (Student t). */
function replicate(make: (seed: number) => SpecInput, n = 6): { mean: number; half: number } {
  const xs = Array.from(
    { length: n },
    (_, i) => simulate(parseSpec(make(100 + i))).summary.total.latency_ms.mean,
  );
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  const t975 = [0, 12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36][n - 1] ?? 2.3;
  return { mean: m, half: (t975 * sd) / Math.sqrt(n) };
}

describe('random reads against queueing theory (sata-7200, FIFO)', () => {
  const S = serviceMoments(8);

  it('QD1: mean latency = overhead + E[seek] + half a revolution + transfer', () => {
    const r = replicate((seed) => spec(seed, 40));
    // 1 % allowance for the cylinder binning of the expectation
    expect(Math.abs(r.mean - S.mean)).toBeLessThan(r.half + 0.01 * S.mean);
  });

  for (const rho of [0.3, 0.6, 0.8]) {
    it(`M/G/1 at utilisation ${rho}: Pollaczek-Khinchine mean response time`, () => {
      const lambda = rho / S.mean; // per ms
      const pk = S.mean + (lambda * S.m2) / (2 * (1 - rho));
      const duration = rho > 0.7 ? 240 : 120;
      const r = replicate((seed) => spec(seed, duration, lambda * 1000));
      expect(Math.abs(r.mean - pk)).toBeLessThan(r.half + 0.01 * pk);
    });
  }
});
