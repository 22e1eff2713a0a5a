import { describe, expect, it } from 'vitest';
import type { HddSpec, SsdSpec } from '../../common/spec/schema';
import type { HddDisk } from './hdd';
import { DISK_PRESETS, seekTimeMs } from './index';
import { DiskBench, mulberry32 } from './testing';

const sata = DISK_PRESETS['sata-7200'].spec as HddSpec;
const REV_NS = 60e9 / 7200;
const OVH_NS = 0.1e6;
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe('HDD rotation', () => {
  it('two back-to-back requests for the same sector wait a full revolution', () => {
    const b = new DiskBench({ ...sata, cache: null });
    const done = b.closedLoop(1, 2, () => ({ op: 'read', sector: 12345, sectors: 1 }));
    const xferStart = (i: number) =>
      done[i].info.startNs + OVH_NS + done[i].info.seekNs + done[i].info.rotationNs;
    expect(done[1].info.seekNs).toBe(0);
    expect(Math.abs(xferStart(1) - xferStart(0) - REV_NS)).toBeLessThan(2);
    // the second one waits a revolution minus what has passed since its sector started under the head
    const sectorNs = REV_NS / 2000;
    expect(done[1].info.rotationNs).toBeGreaterThan(REV_NS - sectorNs - OVH_NS - 2);
  });

  it('rotational latency follows the platter angle: the first request on a fresh disk waits for its slot', () => {
    const b = new DiskBench({ ...sata, cache: null });
    // sector 1000 on track 0 of cylinder 0: slot 1000 → wait = ovh → angle at 1000·rev/2000 minus elapsed ovh
    const [d] = b.closedLoop(1, 1, () => ({ op: 'read', sector: 1000, sectors: 1 }));
    expect(d.info.rotationNs).toBeCloseTo(1000 * (REV_NS / 2000) - OVH_NS, 3);
  });
});

describe('HDD multi-track transfers (hp97560: 72 sectors/track, track skew 8, cylinder skew 18)', () => {
  const hp = DISK_PRESETS.hp97560.spec as HddSpec;
  const secNs = 60e9 / 4002 / 72;
  const one = (sector: number, sectors: number) =>
    new DiskBench({ ...hp, cache: null }).closedLoop(1, 1, () => ({ op: 'read', sector, sectors }))[0].info;

  it('a two-track transfer pays the head switch as the track skew', () => {
    expect(one(0, 144).transferNs).toBeCloseTo((144 + 8) * secNs, 0);
    expect(one(0, 72).transferNs).toBeCloseTo(72 * secNs, 0);
  });

  it('crossing a cylinder boundary pays the cylinder skew', () => {
    const lastTrack = 18 * 72; // cylinder 0, head 18
    expect(one(lastTrack, 144).transferNs).toBeCloseTo((144 + 18) * secNs, 0);
  });

  it('random 4 KB reads: overhead + mean seek + half a revolution + transfer (Ruemmler & Wilkes numbers)', () => {
    const C = 1962;
    const rev = 60e9 / 4002;
    const rnd = mulberry32(5);
    const N = 20000;
    const done = new DiskBench(hp).closedLoop(1, N, () => {
      const cyl = Math.floor(rnd() * C);
      const head = Math.floor(rnd() * 19);
      return { op: 'read', sector: (cyl * 19 + head) * 72 + Math.floor(rnd() * 64), sectors: 8 };
    });
    let eSeek = 0;
    for (let d = 1; d < C; d++) eSeek += (seekTimeMs(hp, d) * 1e6 * 2 * (C - d)) / (C * C);
    const expected = 2.2e6 + eSeek + rev / 2 + (8 * rev) / 72;
    const mean = sum(done.map((d) => d.info.endNs - d.info.startNs)) / N;
    expect(Math.abs(mean - expected) / expected).toBeLessThan(0.015);
    // the published derivation of the same quantity (data/published-disks.json, derived.simple_random_4KiB_read_service_ms)
    expect(Math.abs(expected / 1e6 - 24.194)).toBeLessThan(0.01);
  });
});

describe('HDD sequential reads (sata-7200, outer zone, 64 KB, QD1)', () => {
  const spt = 2000;
  const media = (spt * 512 * 7200) / 60; // B/s
  const secNs = REV_NS / spt;
  const trackSkew = Math.ceil(0.8e6 / secNs - 1e-9);
  const n = 400; // 400 × 64 KB = 25.6 MB: 12.8 tracks
  const run = (cache: boolean) => {
    const b = new DiskBench(cache ? sata : { ...sata, cache: null });
    const done = b.closedLoop(1, n, (i) => ({ op: 'read', sector: i * 128, sectors: 128 }));
    // steady state: from the first completion on (the first request pays its initial rotational wait)
    const bytes = (n - 1) * 65536;
    return { done, mbps: bytes / ((done[n - 1].info.endNs - done[0].info.endNs) / 1e9) };
  };

  it('with read-ahead cache streams at the zone media rate (less the skew lost at each track switch)', () => {
    const { mbps } = run(true);
    // Every track (spt sectors) costs one revolution plus the track-skew sectors that pass during the head switch.
    const expected = media * (spt / (spt + trackSkew));
    expect(Math.abs(mbps - expected) / expected).toBeLessThan(0.03);
    expect(mbps / media).toBeGreaterThan(0.88);
  });

  it('without cache each request misses its next sector and loses about a revolution', () => {
    const { mbps, done } = run(false);
    const transferNs = 128 * secNs;
    const expected = 65536 / ((REV_NS + transferNs) / 1e9);
    expect(Math.abs(mbps - expected) / expected).toBeLessThan(0.03);
    expect(done.every((d) => !d.info.cacheHit)).toBe(true);
  });
});

describe('HDD random reads', () => {
  it('mean service ≈ overhead + E[seek] + rev/2 + transfer (uniform cylinders, P(d) = 2(C−d)/C²)', () => {
    const C = 120000;
    const rnd = mulberry32(7);
    const zoneSpt = (cyl: number) => sata.zones[Math.floor(cyl / 15000)].sectors_per_track;
    const b = new DiskBench(sata);
    const geom = (b.disk as HddDisk).geom;
    const N = 20000;
    const done = b.closedLoop(1, N, () => {
      const cyl = Math.floor(rnd() * C);
      const head = Math.floor(rnd() * 4);
      const s = Math.floor(rnd() * (zoneSpt(cyl) - 8));
      return { op: 'read', sector: geom.toLba(cyl, head, s), sectors: 8 };
    });
    let eSeek = 0;
    for (let d = 1; d < C; d++) eSeek += (seekTimeMs(sata, d) * 1e6 * 2 * (C - d)) / (C * C);
    let eXfer = 0;
    for (const z of sata.zones) eXfer += ((8 * REV_NS) / z.sectors_per_track) * (z.cylinders / C);
    const expected = OVH_NS + eSeek + REV_NS / 2 + eXfer;
    const mean = sum(done.map((d) => d.info.endNs - d.info.startNs)) / N;
    expect(Math.abs(mean - expected) / expected).toBeLessThan(0.015);
    const st = b.disk.stats();
    expect(st.requests).toBe(N);
    expect(st.cacheHits).toBe(0);
    expect(st.mediaRequests).toBe(N);
    expect(st.busyNs).toBe(sum(done.map((d) => d.info.endNs - d.info.startNs)));
    expect(st.seekCylSum).toBe(sum(done.map((d) => d.info.seekCyl)));
    expect(st.seeks).toBe(done.filter((d) => d.info.seekCyl > 0).length);
    // mean seek distance of random cylinders ≈ C/3
    expect(Math.abs(st.seekCylSum / N - C / 3) / (C / 3)).toBeLessThan(0.03);
  });

  it('queue_depth 8 (SPTF) gives lower mean service than FIFO at QD1', () => {
    const N = 4000;
    const cap = 15000 * 4 * (2000 + 1860); // the first two zones, in 512-byte sectors
    const gen = (seed: number) => {
      const r = mulberry32(seed);
      return () => ({ op: 'read' as const, sector: Math.floor((r() * cap) / 8) * 8, sectors: 8 });
    };
    const fifo = new DiskBench({ ...sata, queue_depth: 1 }).closedLoop(1, N, gen(3));
    const sptf = new DiskBench({ ...sata, queue_depth: 8 }).closedLoop(8, N, gen(3));
    const meanSvc = (ds: typeof fifo) => sum(ds.map((d) => d.info.endNs - d.info.startNs)) / ds.length;
    expect(meanSvc(sptf)).toBeLessThan(meanSvc(fifo) * 0.75);
    expect(sptf.length).toBe(N);
  });
});

describe('HDD cache', () => {
  it('a re-read is a hit served at overhead + bytes / interface; a write invalidates it', () => {
    const b = new DiskBench(sata);
    const ops = [
      { op: 'read' as const, sector: 5_000_000, sectors: 8 },
      { op: 'read' as const, sector: 5_000_000, sectors: 8 },
      { op: 'write' as const, sector: 5_000_004, sectors: 1 },
      { op: 'read' as const, sector: 5_000_000, sectors: 8 },
    ];
    const done = b.closedLoop(1, ops.length, (i) => ops[i]);
    expect(done.map((d) => d.info.cacheHit)).toEqual([false, true, false, false]);
    expect(done[1].info.endNs - done[1].info.startNs).toBe(Math.ceil(OVH_NS + (4096 / 300e6) * 1e9 - 1e-6));
    expect(b.disk.stats().cacheHits).toBe(1);
    expect(b.disk.stats().readRequests).toBe(3);
  });

  it('a slow sequential reader is served from read-ahead (hits) once the stream is ahead', () => {
    const b = new DiskBench(sata);
    // 4 KB reads with 2 ms think time: the drive reads far ahead in between.
    const done: boolean[] = [];
    let i = 0;
    b.disk.onComplete = (_rq, info) => {
      done.push(info.cacheHit);
      if (++i < 50) b.sim.after(2e6, () => b.submit('read', i * 8, 8));
    };
    b.submit('read', 0, 8);
    b.sim.runUntil(1e12);
    expect(done[0]).toBe(false);
    expect(done.slice(1).every((h) => h)).toBe(true);
  });

  it('readahead_min_kb: a new request waits until the minimum read-ahead is done', () => {
    const secNs = REV_NS / 2000;
    const far = 15000 * 4 * 2000; // zone 1, cylinder 15000
    const run = (minKb: number) =>
      new DiskBench({
        ...sata,
        cache: { segments: 1, segment_kb: 512, readahead: true, readahead_min_kb: minKb },
      })
        .closedLoop(1, 2, (i) => ({ op: 'read', sector: i === 0 ? 0 : far, sectors: 8 }))
        .map((d) => d.info);
    const [a0, a1] = run(256);
    const [, b1] = run(0);
    // 256 KB = 512 sectors after the request's end, all on track 0 (2000 sectors): at least 512 sector times
    expect(a1.endNs - a0.endNs).toBeGreaterThanOrEqual(512 * secNs + seekTimeMs(sata, 15000) * 1e6 - 2);
    expect(b1.endNs - a0.endNs).toBeLessThan(OVH_NS + seekTimeMs(sata, 15000) * 1e6 + REV_NS + 8 * secNs + 2);
    expect(a1.seekCyl).toBe(15000);
  });

  it('SPTF hit detection with incremental re-checks equals a full cache scan at every pick', () => {
    const run = (bruteForce: boolean) => {
      const r = mulberry32(21);
      const b = new DiskBench({
        ...sata,
        queue_depth: 8,
        cache: { segments: 32, segment_kb: 64, readahead: true, readahead_min_kb: 0 },
      });
      if (bruteForce) {
        const d = b.disk as unknown as { markGrown: (s: number) => void; grownAll: boolean };
        d.markGrown = function (this: { grownAll: boolean }) {
          this.grownAll = true;
        };
      }
      // small hot region so that re-reads and read-ahead hits are frequent
      const done = b.closedLoop(8, 3000, () => ({
        op: r() < 0.1 ? 'write' : 'read',
        sector: Math.floor(r() * 300) * 8,
        sectors: 8,
      }));
      return { ends: done.map((x) => x.info.endNs), hits: b.disk.stats().cacheHits };
    };
    const fast = run(false);
    const brute = run(true);
    expect(brute.hits).toBeGreaterThan(100);
    expect(fast).toEqual(brute);
  });

  it('is deterministic', () => {
    const run = () => {
      const r = mulberry32(11);
      return new DiskBench({ ...sata, queue_depth: 4 })
        .closedLoop(4, 500, () => ({
          op: r() < 0.3 ? 'write' : 'read',
          sector: Math.floor(r() * 1e8),
          sectors: 8 + Math.floor(r() * 200),
        }))
        .map((d) => d.info.endNs);
    };
    expect(run()).toEqual(run());
  });
});

describe('SSD', () => {
  it('throughput is bounded by bandwidth: channels × bytes / (latency + bytes / per-channel share)', () => {
    const ssd = DISK_PRESETS['ssd-sata'].spec as SsdSpec;
    const bytes = 128 * 1024;
    const N = 2000;
    const done = new DiskBench(ssd).closedLoop(32, N, (i) => ({ op: 'read', sector: i * 256, sectors: 256 }));
    const end = done[done.length - 1].info.endNs / 1e9;
    const mbps = (N * bytes) / end / 1e6;
    const perReq = ssd.read_latency_us * 1e-6 + bytes / ((ssd.bandwidth_mbps * 1e6) / ssd.channels);
    const expected = (ssd.channels * bytes) / perReq / 1e6;
    expect(mbps).toBeLessThanOrEqual(ssd.bandwidth_mbps);
    expect(Math.abs(mbps - expected) / expected).toBeLessThan(0.01);
  });
});
