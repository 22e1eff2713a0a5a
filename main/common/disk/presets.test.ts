import { describe, expect, it } from 'vitest';
import published from './data/published-disks.json' with { type: 'json' };
import { DISK_PRESETS, PUBLISHED, publishedDisks } from './presets';

describe('disk presets, built on first use', () => {
  it('lists the presets in the order the published data gives, without building them', () => {
    // the order the table had when it was built from the data at import
    const fromData = published.disks
      .map((d) => ('disksim_model_name' in d ? PUBLISHED[d.disksim_model_name as string] : undefined))
      .filter((p): p is string => p !== undefined);
    expect(Object.keys(DISK_PRESETS)).toEqual(['sata-7200', 'hp97560', ...fromData, 'ssd-sata']);
    expect(new Set(fromData).size).toBe(fromData.length);
    expect(fromData.length).toBe(Object.keys(PUBLISHED).length);
  });

  it('publishedDisks gives the drives of the data file', () => {
    expect(publishedDisks()).toEqual(published.disks);
  });

  it('builds every preset, each once', () => {
    for (const [name, p] of Object.entries(DISK_PRESETS)) {
      expect(p.spec.name).toBe(name);
      expect(p.description.length).toBeGreaterThan(20);
      expect(DISK_PRESETS[name]).toBe(p);
    }
  });
});
