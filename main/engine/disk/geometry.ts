/**
 * Zoned disk geometry. Zones run from the outer edge (LBA 0) inward; inside a zone LBAs fill a
 * track, then the next head (surface), then the next cylinder. Each track's logical sector 0 sits
 * at a skewed physical slot so that a sequential transfer crossing a track (cylinder) boundary
 * only loses the head-switch (cylinder-switch) time:
 *   slot(cylIdx, head, s) = (cylIdx·((heads−1)·trackSkew + cylSkew) + head·trackSkew + s) mod spt.
 * All LBAs here are in disk sectors (`sector_bytes`), not 512-byte host sectors.
 */
import type { HddSpec } from '../../common/spec/schema';
import type { SeekFn } from './seek';

export interface ZoneGeom {
  readonly firstCyl: number;
  readonly cylinders: number;
  readonly firstLba: number;
  readonly sectors: number;
  readonly spt: number;
  readonly trackSkew: number;
  readonly cylSkew: number;
  /** First LBA after the zone (firstLba + sectors). */
  readonly endLba: number;
  /** Sectors per cylinder (heads × spt). */
  readonly perCyl: number;
  /** Slot shift from one cylinder to the next, mod spt: ((heads − 1)·trackSkew + cylSkew) mod spt. */
  readonly cylShift: number;
  /** ns per sector: revNs / spt. */
  readonly secNs: number;
  /**
   * Slot tables (null on a disk too large for them): per cylinder of the zone ((ci mod spt)·cylShift)
   * mod spt, per head (head·trackSkew) mod spt; `slotOf` adds them and the sector, mod spt.
   */
  readonly cylSlot: Int32Array | null;
  readonly headSlot: Int32Array | null;
}

/** Slot tables are built when the disk has at most this many cylinders. */
const SLOT_TABLE_CYLINDERS = 1_000_000;
/** Buckets of the LBA → zone table. */
const ZONE_BUCKETS = 4096;

/**
 * `tab[ci] = ((ci mod spt) · cylShift) mod spt` for every cylinder index of a zone, 0 <= cylShift < spt,
 * without a division per cylinder: that is (ci · cylShift) mod spt, so each entry is the one before
 * plus cylShift, less spt when it reaches spt (small integers, exact). Building the tables with `%`
 * per cylinder was a visible part of a run's start-up (120,000 cylinders on sata-7200).
 */
export function fillCylSlots(tab: Int32Array, spt: number, cylShift: number): void {
  let x = 0;
  for (let ci = 0; ci < tab.length; ci++) {
    tab[ci] = x;
    x += cylShift;
    if (x >= spt) x -= spt;
  }
}

/** Result of `locate` (a reused scratch object). */
export interface Chs {
  zone: number;
  cyl: number;
  head: number;
  sector: number;
}

export class Geometry {
  readonly heads: number;
  readonly cylinders: number;
  readonly totalSectors: number;
  readonly sectorBytes: number;
  readonly revNs: number;
  readonly zones: ZoneGeom[];
  private readonly firstLbas: Float64Array;

  constructor(spec: HddSpec, seek: SeekFn) {
    this.heads = spec.heads;
    this.sectorBytes = spec.sector_bytes;
    this.revNs = 60e9 / spec.rpm;
    const hsNs = spec.head_switch_ms * 1e6;
    const cylSwitchNs = Math.max(seek(1) * 1e6, hsNs);
    const zones: ZoneGeom[] = [];
    let cyl = 0;
    let lba = 0;
    const tables = spec.zones.reduce((n, z) => n + z.cylinders, 0) <= SLOT_TABLE_CYLINDERS;
    for (const z of spec.zones) {
      const secNs = this.revNs / z.sectors_per_track;
      const ts = z.track_skew_sectors ?? spec.track_skew_sectors ?? Math.ceil(hsNs / secNs - 1e-9);
      const cs =
        z.cylinder_skew_sectors ?? spec.cylinder_skew_sectors ?? Math.ceil(cylSwitchNs / secNs - 1e-9);
      const sectors = z.cylinders * spec.heads * z.sectors_per_track;
      const spt = z.sectors_per_track;
      const cylShift = ((spec.heads - 1) * ts + cs) % spt;
      // the tables hold the terms of slotOf's sum reduced mod spt (same slot: all terms are >= 0)
      const withTables = tables && ts >= 0 && cs >= 0;
      const cylSlot = withTables ? new Int32Array(z.cylinders) : null;
      const headSlot = withTables ? new Int32Array(spec.heads) : null;
      if (cylSlot && headSlot) {
        fillCylSlots(cylSlot, spt, cylShift);
        for (let h = 0; h < spec.heads; h++) headSlot[h] = (h * ts) % spt;
      }
      zones.push({
        firstCyl: cyl,
        cylinders: z.cylinders,
        firstLba: lba,
        sectors,
        spt: z.sectors_per_track,
        trackSkew: ts,
        cylSkew: cs,
        endLba: lba + sectors,
        perCyl: spec.heads * z.sectors_per_track,
        cylShift,
        secNs,
        cylSlot,
        headSlot,
      });
      cyl += z.cylinders;
      lba += sectors;
    }
    this.zones = zones;
    this.cylinders = cyl;
    this.totalSectors = lba;
    this.firstLbas = Float64Array.from(zones.map((z) => z.firstLba));
    // LBA → zone: the zone of each bucket's first LBA (buckets of 2^k sectors), then a step or two
    let k = 0;
    while (lba / 2 ** k > ZONE_BUCKETS) k++;
    this.bucketScale = 2 ** -k;
    this.bucketZone = new Int32Array(Math.floor(lba * this.bucketScale) + 1);
    // the zone of each bucket's first LBA b · 2^k (the last zone starting at or before it), in one
    // sweep: the bucket starts grow, and so do their zones
    const f = this.firstLbas;
    const step = 2 ** k;
    let zi = 0;
    for (let b = 0; b < this.bucketZone.length; b++) {
      const start = b * step;
      while (zi + 1 < f.length && f[zi + 1] <= start) zi++;
      this.bucketZone[b] = zi;
    }
  }

  /** 2^−k for buckets of 2^k sectors (an exact scaling). */
  private readonly bucketScale: number;
  /** Zone of each bucket's first LBA. */
  private readonly bucketZone: Int32Array;

  /** Zone holding `lba` (0 <= lba < totalSectors): the last zone starting at or before it, from the bucket table. */
  zoneOf(lba: number): number {
    const f = this.firstLbas;
    let zi = this.bucketZone[Math.floor(lba * this.bucketScale)];
    while (zi + 1 < f.length && f[zi + 1] <= lba) zi++;
    return zi;
  }

  /** Fill `out` with the zone/cylinder/head/sector of a disk LBA (clamped to the disk). */
  locate(lba: number, out: Chs): Chs {
    if (lba < 0) lba = 0;
    if (lba >= this.totalSectors) lba = this.totalSectors - 1;
    const zi = this.zoneOf(lba);
    const z = this.zones[zi];
    const off = lba - z.firstLba;
    const perCyl = z.perCyl;
    const ci = Math.floor(off / perCyl);
    const rem = off - ci * perCyl;
    const head = Math.floor(rem / z.spt);
    out.zone = zi;
    out.cyl = z.firstCyl + ci;
    out.head = head;
    out.sector = rem - head * z.spt;
    return out;
  }

  /** Inverse of `locate`. */
  toLba(cyl: number, head: number, sector: number): number {
    let zi = this.zones.length - 1;
    while (zi > 0 && this.zones[zi].firstCyl > cyl) zi--;
    const z = this.zones[zi];
    return z.firstLba + ((cyl - z.firstCyl) * this.heads + head) * z.spt + sector;
  }

  /** Physical slot (0..spt−1) of logical sector `sector` on track (cyl, head) of zone `zi`. */
  slotOf(zi: number, cyl: number, head: number, sector: number): number {
    const z = this.zones[zi];
    const spt = z.spt | 0;
    const cs = z.cylSlot;
    if (cs !== null) {
      // ((ci mod spt)·cylShift + head·trackSkew + sector) mod spt from the tables: a sum below 3·spt
      let x = cs[cyl - z.firstCyl] + z.headSlot![head] + sector;
      if (x >= spt) {
        x -= spt;
        if (x >= spt) x -= spt;
      }
      return x;
    }
    // small integers (| 0: the arithmetic stays in int32, same values)
    const ci = (cyl - z.firstCyl) | 0;
    return (((((ci % spt) * z.cylShift + (head | 0) * z.trackSkew + (sector | 0)) % spt) + spt) % spt) | 0;
  }

  cylinderOfLba(lba: number): number {
    if (lba < 0) lba = 0;
    if (lba >= this.totalSectors) lba = this.totalSectors - 1;
    const z = this.zones[this.zoneOf(lba)];
    return z.firstCyl + Math.floor((lba - z.firstLba) / (this.heads * z.spt));
  }
}
