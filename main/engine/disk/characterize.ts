/** Characterization of a disk model for `pvblk disk --json` and the UI. */
import type { DiskCharacterization, TimingValue } from '../../common/disk/characterization';
import type { DiskModelSpec, HddSpec } from '../../common/spec/schema';
import { Geometry } from './geometry';
import { makeSeekFn, meanSeekMs, type SeekFn } from './seek';

export type { DiskCharacterization };

const seekFns = new WeakMap<object, SeekFn>();

function totalCylinders(spec: HddSpec): number {
  let c = 0;
  for (const z of spec.zones) c += z.cylinders;
  return c;
}

/** The seek function (ms by distance in cylinders) of an HDD spec, cached per spec object. */
export function seekFnOf(spec: HddSpec): SeekFn {
  let f = seekFns.get(spec);
  if (!f) {
    f = makeSeekFn(spec.seek, totalCylinders(spec));
    seekFns.set(spec, f);
  }
  return f;
}

/** Seek time (ms) for a distance in cylinders (0 for an SSD or distance 0). */
export function seekTimeMs(spec: DiskModelSpec, distanceCyl: number): number {
  if (spec.kind !== 'hdd') return 0;
  return seekFnOf(spec)(distanceCyl);
}

/** Distances for a seek-curve chart: 1..10, then ~log-spaced to the full stroke. */
export function seekCurveDistances(maxDist: number, perDecade = 12): number[] {
  const ds: number[] = [];
  for (let d = 1; d <= Math.min(10, maxDist); d++) ds.push(d);
  if (maxDist > 10) {
    const steps = Math.ceil(Math.log10(maxDist / 10) * perDecade);
    for (let i = 1; i <= steps; i++) {
      const d = Math.min(maxDist, Math.round(10 * (maxDist / 10) ** (i / steps)));
      if (d > ds[ds.length - 1]) ds.push(d);
    }
    if (ds[ds.length - 1] !== maxDist) ds.push(maxDist);
  }
  return ds;
}

/**
 * The HDD's controller and bus timing values with their provenance: the spec's `provenance` entry
 * for the field, else the spec's `source`. Fields the model does not use are left out (the
 * DiskSim blocks replace `controller_overhead_ms` and `interface_mbps`).
 */
export function timingValues(spec: HddSpec): TimingValue[] {
  const from = (field: string) =>
    spec.provenance?.[field] ??
    (spec.source ? `as given by the spec (source: ${spec.source})` : 'as given by the spec');
  const out: TimingValue[] = [];
  const add = (prefix: string, o: object) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'object' && v !== null) add(`${prefix}${k}.`, v);
      else if (v !== undefined) out.push({ field: prefix + k, value: v, provenance: from(prefix + k) });
    }
  };
  if (spec.overheads) add('overheads.', spec.overheads);
  else add('', { controller_overhead_ms: spec.controller_overhead_ms });
  if (spec.bus) add('bus.', spec.bus);
  else add('', { interface_mbps: spec.interface_mbps });
  if (spec.cache?.fast_write !== undefined) add('cache.', { fast_write: spec.cache.fast_write });
  return out;
}

export function characterizeDisk(spec: DiskModelSpec): DiskCharacterization {
  if (spec.kind === 'ssd') {
    const bytes = Math.floor((spec.capacity_gb * 1024 ** 3) / 512) * 512;
    return {
      name: spec.name ?? 'ssd',
      kind: 'ssd',
      capacity_bytes: bytes,
      capacity_gb: bytes / 1024 ** 3,
      rpm: null,
      rotation_ms: null,
      heads: null,
      cylinders: null,
      sector_bytes: 512,
      zones: [],
      seek_curve: [],
      seek_avg_ms: 0,
      track_to_track_ms: 0,
      full_stroke_ms: 0,
      timing: [],
    };
  }
  const f = seekFnOf(spec);
  const g = new Geometry(spec, f);
  const C = g.cylinders;
  const bytes = g.totalSectors * spec.sector_bytes;
  const rev = 60_000 / spec.rpm;
  return {
    name: spec.name ?? 'hdd',
    kind: 'hdd',
    capacity_bytes: bytes,
    capacity_gb: bytes / 1024 ** 3,
    rpm: spec.rpm,
    rotation_ms: rev,
    heads: spec.heads,
    cylinders: C,
    sector_bytes: spec.sector_bytes,
    zones: g.zones.map((z) => ({
      first_cyl: z.firstCyl,
      cylinders: z.cylinders,
      sectors_per_track: z.spt,
      media_mbps: (z.spt * spec.sector_bytes) / (rev * 1e3),
      track_skew_sectors: z.trackSkew,
      cylinder_skew_sectors: z.cylSkew,
    })),
    seek_curve: C > 1 ? seekCurveDistances(C - 1).map((d) => [d, f(d)] as [number, number]) : [],
    seek_avg_ms: meanSeekMs(f, C),
    track_to_track_ms: C > 1 ? f(1) : 0,
    full_stroke_ms: C > 1 ? f(C - 1) : 0,
    timing: timingValues(spec),
  };
}
