import { describe, expect, it } from 'vitest';
import type { HddSpec } from '../../common/spec/schema';
import { Simulator } from '../core/sim';
import { type Chs, fillCylSlots, Geometry } from './geometry';
import { HddDisk } from './hdd';
import { DISK_PRESETS } from './index';
import { makeSeekFn } from './seek';

const sata = DISK_PRESETS['sata-7200'].spec as HddSpec;

describe('zoned geometry', () => {
  const g = new Geometry(sata, makeSeekFn(sata.seek, 120000));
  const out: Chs = { zone: 0, cyl: 0, head: 0, sector: 0 };

  it('LBAs fill a track, then the next head, then the next cylinder; zones outer to inner', () => {
    expect(g.locate(0, out)).toEqual({ zone: 0, cyl: 0, head: 0, sector: 0 });
    expect(g.locate(1999, out)).toEqual({ zone: 0, cyl: 0, head: 0, sector: 1999 });
    expect(g.locate(2000, out)).toEqual({ zone: 0, cyl: 0, head: 1, sector: 0 });
    expect(g.locate(4 * 2000, out)).toEqual({ zone: 0, cyl: 1, head: 0, sector: 0 });
    const z1 = 15000 * 4 * 2000;
    expect(g.locate(z1 - 1, out)).toEqual({ zone: 0, cyl: 14999, head: 3, sector: 1999 });
    expect(g.locate(z1, out)).toEqual({ zone: 1, cyl: 15000, head: 0, sector: 0 });
    expect(g.locate(z1 + 1860, out)).toEqual({ zone: 1, cyl: 15000, head: 1, sector: 0 });
    expect(g.totalSectors).toBe(15000 * 4 * (2000 + 1860 + 1720 + 1580 + 1440 + 1300 + 1160 + 1020));
    expect(g.locate(g.totalSectors - 1, out)).toEqual({ zone: 7, cyl: 119999, head: 3, sector: 1019 });
  });

  it('round-trips LBA → CHS → LBA at every zone edge and track edges', () => {
    for (const z of g.zones) {
      for (const lba of [
        z.firstLba - 1,
        z.firstLba,
        z.firstLba + 1,
        z.firstLba + z.spt - 1,
        z.firstLba + z.spt,
      ]) {
        if (lba < 0 || lba >= g.totalSectors) continue;
        g.locate(lba, out);
        expect(g.toLba(out.cyl, out.head, out.sector)).toBe(lba);
        expect(g.cylinderOfLba(lba)).toBe(out.cyl);
      }
    }
  });

  it('skew: track (cylinder) k starts trackSkew (cylSkew) slots after the previous one', () => {
    const z = g.zones[2];
    const c = z.firstCyl + 7;
    for (let h = 0; h + 1 < 4; h++)
      expect((g.slotOf(2, c, h + 1, 0) - g.slotOf(2, c, h, 0) + z.spt) % z.spt).toBe(z.trackSkew % z.spt);
    expect((g.slotOf(2, c + 1, 0, 0) - g.slotOf(2, c, 3, 0) + z.spt) % z.spt).toBe(z.cylSkew % z.spt);
  });

  it('converts 512-byte host sectors to larger disk sectors', () => {
    const spec4k: HddSpec = {
      ...sata,
      sector_bytes: 4096,
      zones: [{ cylinders: 100, sectors_per_track: 250 }],
    };
    const d = new HddDisk(spec4k, new Simulator());
    expect(d.capacitySectors).toBe(100 * 4 * 250 * 8);
    // host sector 8·1000 = disk LBA 1000 = cylinder 1 (1000 disk sectors per cylinder)
    expect(d.cylinderOf(8 * 1000 - 1)).toBe(0);
    expect(d.cylinderOf(8 * 1000)).toBe(1);
  });
});

describe('geometry lookups against their definitions', () => {
  const hdds = Object.values(DISK_PRESETS)
    .map((p) => p.spec)
    .filter((s): s is HddSpec => s.kind === 'hdd');
  // the definitions: binary search over zone starts; the slot formula with every term unreduced
  const zoneByDefinition = (g: Geometry, lba: number) => {
    let zi = 0;
    while (zi + 1 < g.zones.length && g.zones[zi + 1].firstLba <= lba) zi++;
    return zi;
  };
  const slotByDefinition = (g: Geometry, zi: number, cyl: number, head: number, sector: number) => {
    const z = g.zones[zi];
    const perCyl = ((g.heads - 1) * z.trackSkew + z.cylSkew) % z.spt;
    return (((((cyl - z.firstCyl) % z.spt) * perCyl + head * z.trackSkew + sector) % z.spt) + z.spt) % z.spt;
  };

  it('zoneOf and slotOf give the defined zone and slot on every preset drive', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const out: Chs = { zone: 0, cyl: 0, head: 0, sector: 0 };
    expect(hdds.length).toBeGreaterThan(5);
    for (const spec of hdds) {
      const g = new Geometry(
        spec,
        makeSeekFn(
          spec.seek,
          spec.zones.reduce((n, z) => n + z.cylinders, 0),
        ),
      );
      const lbas = [0, g.totalSectors - 1];
      for (const z of g.zones) lbas.push(z.firstLba, z.firstLba + z.sectors - 1, z.firstLba + z.spt - 1);
      for (let i = 0; i < 2000; i++) lbas.push(Math.floor(rnd() * g.totalSectors));
      for (const lba of lbas) {
        expect(g.zoneOf(lba)).toBe(zoneByDefinition(g, lba));
        g.locate(lba, out);
        expect(g.slotOf(out.zone, out.cyl, out.head, out.sector)).toBe(
          slotByDefinition(g, out.zone, out.cyl, out.head, out.sector),
        );
      }
    }
  });
});

describe('start-up tables', () => {
  it('fillCylSlots holds ((ci mod spt) · cylShift) mod spt for every cylinder', () => {
    for (const [spt, shift, n] of [
      [7, 3, 50],
      [7, 0, 20],
      [7, 6, 5],
      [72, 71, 1000],
      [2000, 1999, 4001],
      [1, 0, 9],
      [13, 5, 13],
      [13, 5, 0],
    ]) {
      const tab = new Int32Array(n);
      fillCylSlots(tab, spt, shift);
      for (let ci = 0; ci < n; ci++) expect(tab[ci]).toBe(((ci % spt) * shift) % spt);
    }
  });

  it('every preset zone maps each bucket start to the last zone starting at or before it', () => {
    for (const [name, p] of Object.entries(DISK_PRESETS)) {
      if (p.spec.kind !== 'hdd') continue;
      const spec = p.spec as HddSpec;
      const g = new Geometry(spec, makeSeekFn(spec.seek, g0cyl(spec)));
      for (let i = 0; i < 2000; i++) {
        const lba = Math.floor((i / 2000) * g.totalSectors);
        let zi = 0;
        while (zi + 1 < g.zones.length && g.zones[zi + 1].firstLba <= lba) zi++;
        expect(g.zoneOf(lba), `${name} ${lba}`).toBe(zi);
      }
    }
  });

  it('a disk computes each seek distance on first use, to seekMs(d) in ns', () => {
    const d = new HddDisk(sata, new Simulator());
    const seekNs = (x: number): number => (d as unknown as { seekNs(x: number): number }).seekNs(x);
    for (const x of [1, 2, 1000, 119999, 2, 1]) expect(seekNs(x)).toBe(d.seekMs(x) * 1e6);
  });
});

function g0cyl(spec: HddSpec): number {
  return spec.zones.reduce((s, z) => s + z.cylinders, 0);
}
