/**
 * Disk spec resolution: `{preset: NAME}` expanded to the preset's model, a model parsed with its
 * defaults filled. Pure (spec data and zod parsing only), so the spec validator, the engine and the
 * node layers share it without common depending on the engine.
 */
import { ownValue } from '../own';
import { type DiskModelSpec, type DiskSpec, HddSchema, SsdSchema } from '../spec/schema';
import { DISK_PRESETS } from './presets';

export const DEFAULT_DISK_PRESET = 'sata-7200';

/** Expand `{preset: NAME}` and fill defaults (parsing through HddSchema / SsdSchema). */
export function resolveDiskSpec(d: DiskSpec): DiskModelSpec {
  if ('preset' in d) {
    const p = ownValue(DISK_PRESETS, d.preset);
    if (!p)
      throw new Error(
        `disk.preset: unknown preset "${d.preset}" (known: ${Object.keys(DISK_PRESETS).join(', ')})`,
      );
    return structuredClone(p.spec);
  }
  return d.kind === 'hdd' ? HddSchema.parse(d) : SsdSchema.parse(d);
}
