/**
 * The renderer's check of incoming events (EventEnvelopeSchema): what it lets through and what it
 * drops, and that a large live batch is checked without copying it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventEnvelopeSchema } from './api';

const samples = (samples: unknown, extra: Record<string, unknown> = {}) => ({
  runId: 'r1',
  event: {
    type: 'samples',
    runIndex: 0,
    samples,
    dispatch: [{ t: 0.1, sector: 8, sectors: 8, vm: 0, thread: 0, ctx: 1, write: false }],
    activity: [],
    simTimeS: 0.25,
    progress: 0.5,
    ...extra,
  },
});

describe('EventEnvelopeSchema', () => {
  it('accepts a live batch and returns the same objects (no copy)', () => {
    const batch = Array.from({ length: 2000 }, (_, i) => ({ t: i / 4, total_mbps: 1, vm_mbps: [1, 2] }));
    const raw = samples(batch);
    const r = EventEnvelopeSchema.safeParse(raw);
    expect(r.success).toBe(true);
    if (r.success && r.data.event.type === 'samples') expect(r.data.event.samples[7]).toBe(batch[7]);
  });

  it('drops a batch whose samples, dispatch points or events are not all objects, naming the field', () => {
    for (const [field, bad] of [
      ['samples', [{ t: 0 }, null]],
      ['samples', [{ t: 0 }, [1, 2]]],
      ['dispatch', [{ t: 0 }, 3]],
      ['activity', 'x'],
    ] as const) {
      const raw = field === 'samples' ? samples(bad) : samples([{ t: 0 }], { [field]: bad });
      const r = EventEnvelopeSchema.safeParse(raw);
      expect(r.success, field).toBe(false);
      if (!r.success) expect(r.error.issues[0].path).toEqual(['event', field]);
    }
  });

  it('accepts exactly the arrays of plain objects (property)', () => {
    const item = fc.oneof(
      fc.dictionary(fc.string(), fc.double()),
      fc.constantFrom(null, 1, 'a', true, [] as unknown[]),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 20 }), (xs) => {
        const ok = xs.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
        expect(EventEnvelopeSchema.safeParse(samples(xs)).success).toBe(ok);
      }),
    );
  });

  it('still checks the other variants field by field', () => {
    expect(
      EventEnvelopeSchema.safeParse({ runId: 'r1', event: { type: 'run-done', runIndex: 0, result: {} } })
        .success,
    ).toBe(true);
    expect(
      EventEnvelopeSchema.safeParse({ runId: 'r1', event: { type: 'run-done', runIndex: 0.5, result: {} } })
        .success,
    ).toBe(false);
    expect(
      EventEnvelopeSchema.safeParse({ runId: '', event: { type: 'state', state: 'running' } }).success,
    ).toBe(false);
  });
});
