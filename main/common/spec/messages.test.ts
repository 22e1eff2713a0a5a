import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { presetSpec } from '../../engine/presets/index';
import { DISK_PRESETS } from '../disk/presets';
import { validateSpec } from './validate';

const base = () => structuredClone(presetSpec('paper-fairness')) as Record<string, unknown>;
const errorsOf = (spec: unknown) => {
  const r = validateSpec(spec);
  if (r.ok) throw new Error('expected the spec to be invalid');
  return r.errors;
};
const hddDisk = () => {
  const {
    name: _n,
    source: _s,
    ...disk
  } = structuredClone(DISK_PRESETS['sata-7200'].spec) as Record<string, unknown>;
  return disk;
};

describe('validation messages', () => {
  it('a type error in a custom disk names the field, its unit and the value given', () => {
    expect(errorsOf({ ...base(), disk: { ...hddDisk(), rpm: 'fast' } })).toEqual([
      { path: 'disk.rpm', message: 'must be a number (revolutions per minute), got "fast"' },
    ]);
    // inside the DiskSim blocks too (the union picks the hdd branch, then the nested field)
    const bus = { read_block_ms: 0.1, write_block_ms: 0.1, hold_read: 1 };
    expect(errorsOf({ ...base(), disk: { ...hddDisk(), bus } })).toEqual([
      { path: 'disk.bus.hold_read', message: 'must be true or false, got 1' },
    ]);
    const x = {
      command_ms: 1,
      disconnect_ms: 'x',
      inter_disconnect_ms: 0,
      disconnect2_ms: 0,
      seek_delta_ms: 0,
    };
    const ch = structuredClone(DISK_PRESETS['cheetah-9lp'].spec) as Record<string, unknown>;
    const overheads = { ...(ch.overheads as object), extra_write_disconnect: x };
    expect(errorsOf({ ...base(), disk: { ...ch, overheads } })).toEqual([
      {
        path: 'disk.overheads.extra_write_disconnect.disconnect_ms',
        message: 'must be a number (milliseconds), got "x"',
      },
    ]);
  });

  it('bounds, choices, whole numbers and unknown fields in words', () => {
    const s = base();
    s.duration_s = -1;
    expect(errorsOf(s)).toEqual([{ path: 'duration_s', message: 'must be at least 0.001 s, got -1' }]);
    expect(errorsOf({ ...base(), seed: 1.5 })).toEqual([
      { path: 'seed', message: 'must be a whole number (random seed), got 1.5' },
    ]);
    expect(errorsOf({ ...base(), host: { scheduler: 'fifo' } })[0]).toEqual({
      path: 'host.scheduler',
      message: 'must be one of "noop", "deadline", "anticipatory", "cfq", "bfq", "kyber", got "fifo"',
    });
    expect(errorsOf({ ...base(), durration_s: 3 })[0]).toEqual({
      path: 'durration_s',
      message: 'is not a field of the spec (misspelt, or not a field in this version)',
    });
  });

  it('a missing field says what it must be', () => {
    const s = base();
    delete s.duration_s;
    const e = errorsOf({ ...s, disk: { kind: 'ssd', capacity_gb: 100 } });
    expect(e).toContainEqual({
      path: 'disk.read_latency_us',
      message: 'is missing: it must be a number (microseconds)',
    });
  });

  it('any non-number where a number goes: the path and the value given, never zod text', () => {
    const fields = ['duration_s', 'warmup_s', 'seed', 'sample_interval_ms'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...fields),
        fc.oneof(
          fc.string({ maxLength: 12 }),
          fc.boolean(),
          fc.constant(null),
          fc.array(fc.integer(), { maxLength: 2 }),
        ),
        (field, value) => {
          const e = errorsOf({ ...base(), [field]: value });
          expect(e).toHaveLength(1);
          expect(e[0].path).toBe(field);
          expect(e[0].message).toMatch(/^must be a (whole )?number/);
          expect(e[0].message).toContain(`got ${JSON.stringify(value).slice(0, 37)}`);
          expect(e[0].message).not.toMatch(/Invalid input|expected .* received/);
        },
      ),
      { numRuns: 60 },
    );
  });
});
