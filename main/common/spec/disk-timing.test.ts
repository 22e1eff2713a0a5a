/**
 * The optional DiskSim timing blocks of an HDD spec (`bus`, `overheads`, `provenance`): defaults,
 * and bad input named by its path. DiskSim's own parameter checks (disk_postpass_perdisk,
 * src/disksim_disk.c) reject a "Hold bus entire read xfer" other than 0 or 1, here a boolean.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DISK_PRESETS } from '../disk/presets';
import { HddSchema } from './schema';
import { parseSpec, SpecValidationError } from './validate';

const hdd = {
  kind: 'hdd',
  rpm: 10000,
  heads: 4,
  zones: [{ cylinders: 1000, sectors_per_track: 200 }],
  seek: { model: 'three-point', track_to_track_ms: 1, average_ms: 5, full_stroke_ms: 10 },
  head_switch_ms: 0.5,
};
const overheads = {
  read_hit_after_read_ms: 0.1,
  read_hit_after_write_ms: 0.2,
  read_miss_after_read_ms: 0.3,
  read_miss_after_write_ms: 0.4,
  write_miss_after_read_ms: 0.5,
  write_miss_after_write_ms: 0.6,
};
const spec = (disk: Record<string, unknown>) => ({
  name: 'x',
  duration_s: 1,
  disk: { ...hdd, ...disk },
  native: [{ name: 'r' }],
});
const pathsOf = (input: unknown): string[] => {
  try {
    parseSpec(input);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecValidationError);
    return (e as SpecValidationError).errors.map((x) => x.path);
  }
  return [];
};

describe('HDD bus and controller overheads in the spec', () => {
  it('are optional; when given, the unlisted ones default to 0 and no hold', () => {
    const plain = HddSchema.parse(hdd);
    expect(plain.bus).toBeUndefined();
    expect(plain.overheads).toBeUndefined();
    const d = HddSchema.parse({ ...hdd, bus: { read_block_ms: 0.1, write_block_ms: 0.1 }, overheads });
    expect(d.bus).toEqual({
      read_block_ms: 0.1,
      write_block_ms: 0.1,
      arbitration_ms: 0,
      read_watermark: 0,
      hold_read: false,
      hold_write: false,
    });
    expect(d.overheads).toMatchObject({ per_request_ms: 0, read_complete_ms: 0, write_complete_ms: 0 });
  });

  it('name the field of a bad value', () => {
    expect(pathsOf(spec({ bus: { read_block_ms: -1, write_block_ms: 0.1 } }))).toEqual([
      'disk.bus.read_block_ms',
    ]);
    expect(pathsOf(spec({ bus: { read_block_ms: 0.1, write_block_ms: 0.1, read_watermark: 1.5 } }))).toEqual([
      'disk.bus.read_watermark',
    ]);
    // the HDD schema names the field (spec validation words it: messages.test.ts)
    const hddPaths = (extra: Record<string, unknown>) => {
      const r = HddSchema.safeParse({ ...hdd, ...extra });
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(hddPaths({ bus: { read_block_ms: 0.1, write_block_ms: 0.1, hold_read: 1 } })).toEqual([
      'bus.hold_read',
    ]);
    const { read_miss_after_write_ms: _, ...missing } = overheads;
    expect(hddPaths({ overheads: missing })).toEqual(['overheads.read_miss_after_write_ms']);
    expect(hddPaths({ overheads: { ...overheads, write_hit_ms: 1 } })).toEqual(['overheads']);
    expect(hddPaths({ provenance: { 'bus.read_block_ms': 3 } })).toEqual(['provenance.bus.read_block_ms']);
  });

  it('never crash the parser, whatever the numbers', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.anything(), (a, b, h) => {
        const r = HddSchema.safeParse({ ...hdd, bus: { read_block_ms: a, write_block_ms: b, hold_read: h } });
        if (r.success) expect(r.data.bus!.read_block_ms).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('every DiskSim-derived preset carries both blocks with a provenance for each value; the others none', () => {
    for (const [name, p] of Object.entries(DISK_PRESETS)) {
      if (p.spec.kind !== 'hdd') continue;
      const fromDiskSim = p.spec.source?.includes('DiskSim') ?? false;
      expect(p.spec.bus !== undefined, name).toBe(fromDiskSim);
      expect(p.spec.overheads !== undefined, name).toBe(fromDiskSim);
      if (!fromDiskSim) continue;
      const fields = (prefix: string, o: object): string[] =>
        Object.entries(o).flatMap(([f, v]) =>
          typeof v === 'object' ? fields(`${prefix}${f}.`, v) : [`${prefix}${f}`],
        );
      for (const k of [
        ...fields('bus.', p.spec.bus!),
        ...fields('overheads.', p.spec.overheads!),
        'cache.fast_write',
      ])
        expect(p.spec.provenance?.[k], `${name} ${k}`).toMatch(/github:benh\/disksim@1141f8d9\w+:valid\//);
    }
  });
});
