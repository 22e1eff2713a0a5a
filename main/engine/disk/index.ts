/** The disk layer: HDD and SSD models, presets, spec resolution and characterization. */
import { type DiskModelSpec, type DiskSpec, HddSchema, SsdSchema } from '../../common/spec/schema';
import type { Simulator } from '../core/sim';
import { HddDisk } from './hdd';
import { DISK_PRESETS } from './presets';
import { SsdDisk } from './ssd';
import type { Disk } from './types';

export { characterizeDisk, type DiskCharacterization, seekCurveDistances, seekTimeMs } from './characterize';
export { HddDisk } from './hdd';
export { DISK_PRESETS, type DiskPreset } from './presets';
export { fitThreePoint, makeSeekFn, meanSeekMs, seekDistanceProb } from './seek';
export { SsdDisk } from './ssd';
export type { Disk, DiskFactory, DiskStats, ServiceInfo } from './types';

export const DEFAULT_DISK_PRESET = 'sata-7200';

/** Expand `{preset: NAME}` and fill defaults (parsing through HddSchema / SsdSchema). */
export function resolveDiskSpec(d: DiskSpec): DiskModelSpec {
  if ('preset' in d) {
    const p = DISK_PRESETS[d.preset];
    if (!p)
      throw new Error(
        `disk.preset: unknown preset "${d.preset}" (known: ${Object.keys(DISK_PRESETS).join(', ')})`,
      );
    return structuredClone(p.spec);
  }
  return d.kind === 'hdd' ? HddSchema.parse(d) : SsdSchema.parse(d);
}

export function createDisk(spec: DiskModelSpec, sim: Simulator): Disk {
  return spec.kind === 'hdd' ? new HddDisk(spec, sim) : new SsdDisk(spec, sim);
}
