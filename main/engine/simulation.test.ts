import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SpecInput, SpecSchema } from '../common/spec/schema';
import { parseSpec } from '../common/spec/validate';
import { Simulation, simulate } from './simulation';

const small = (over: Partial<SpecInput> = {}): SpecInput => ({
  name: 't',
  seed: 3,
  duration_s: 2,
  warmup_s: 0,
  sample_interval_ms: 100,
  disk: { preset: 'sata-7200' },
  host: { scheduler: 'noop' },
  vms: [
    {
      name: 'A',
      mapping: 'vm',
      image: { offset_gb: 0, size_gb: 10 },
      threads: [{ name: 'r', count: 2, op: 'rw', pattern: 'random', block_kb: 16, iodepth: 2, size_gb: 4 }],
    },
  ],
  native: [{ name: 'n', op: 'read', pattern: 'sequential', block_kb: 64, offset_gb: 100, size_gb: 1 }],
  ...over,
});

describe('determinism', () => {
  it('same spec and seed give byte-identical results', () => {
    const spec = parseSpec(small());
    expect(JSON.stringify(simulate(spec))).toBe(JSON.stringify(simulate(spec)));
  });

  it('advancing in chunks gives the same result as one go', () => {
    const spec = parseSpec(small());
    const s = new Simulation(spec);
    while (!s.done) s.advance(s.simTimeS + 0.137);
    expect(JSON.stringify(s.result())).toBe(JSON.stringify(simulate(spec)));
  });

  it('reusing completed I/O units changes nothing (an observer turns the reuse off)', () => {
    // Threads reuse their completed units unless an observer might keep them; the results must
    // not depend on it, with merging (sequential native reads, noop) and guests (deadline, cfq).
    for (const over of [{}, { vms: [{ ...small().vms![0], guest_scheduler: 'cfq' as const }] }]) {
      const spec = parseSpec(small(over));
      const seen: number[] = [];
      const observed = new Simulation(spec, undefined, { observer: { completed: (u) => seen.push(u.id) } });
      expect(JSON.stringify(observed.result())).toBe(JSON.stringify(simulate(spec)));
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it('a different seed gives different samples', () => {
    const a = simulate(parseSpec(small()));
    const b = simulate(parseSpec(small({ seed: 4 })));
    expect(JSON.stringify(a.timeseries.samples)).not.toBe(JSON.stringify(b.timeseries.samples));
  });
});

describe('conservation (property)', () => {
  const threadArb = fc.record({
    name: fc.constantFrom('a', 'b', 'c'),
    count: fc.integer({ min: 1, max: 3 }),
    op: fc.constantFrom('read', 'write', 'rw'),
    pattern: fc.constantFrom('sequential', 'random'),
    block_kb: fc.constantFrom(4, 16, 64, 128),
    iodepth: fc.integer({ min: 1, max: 4 }),
    think_ms: fc.constantFrom(0, 0, 2),
    size_gb: fc.constantFrom(1, 2),
  });
  const specArb = fc.record({
    seed: fc.integer({ min: 0, max: 1000 }),
    scheduler: fc.constantFrom('noop', 'deadline'),
    mapping: fc.constantFrom('vm', 'pool', 'vpid', 'vpid-hash'),
    guest: fc.constantFrom('noop', 'deadline'),
    threads: fc.array(threadArb, { minLength: 1, maxLength: 3 }),
    vms: fc.integer({ min: 1, max: 2 }),
  });

  it('every issued I/O is completed or in flight, and bytes add up across thread, VM and total', () => {
    fc.assert(
      fc.property(specArb, (p) => {
        const threads = p.threads.map((t, i) => ({ ...t, name: `${t.name}${i}` }));
        const input: SpecInput = {
          name: 'prop',
          seed: p.seed,
          duration_s: 0.5,
          sample_interval_ms: 100,
          host: { scheduler: p.scheduler as 'noop' },
          vms: Array.from({ length: p.vms }, (_, v) => ({
            name: `vm${v}`,
            mapping: p.mapping as 'vm',
            guest_scheduler: p.guest as 'noop',
            pool_threads: 2,
            hash_buckets: 2,
            image: { offset_gb: v * 50, size_gb: 20 },
            threads: threads as SpecInput['native'],
          })),
        };
        const spec = SpecSchema.parse(input);
        const sim = new Simulation(parseSpec(spec));
        const res = sim.result();
        for (const a of sim.accounting()) expect(a.issued).toBe(a.completed + a.outstanding);
        const s = res.summary;
        // what is still pending at the end is reported per thread, and is never older than the run
        const summaries = [...s.vms.flatMap((v) => v.threads), ...s.native];
        const acc = sim.accounting();
        res.layout.threads.forEach((lt, i) => {
          const t = summaries.find(
            (x) => x.name === lt.name && (x.vm ?? null) === (lt.vm >= 0 ? res.layout.vms[lt.vm].name : null),
          );
          expect(t?.pending_ios).toBe(acc[i].outstanding);
          expect(t?.oldest_pending_ms).toBeGreaterThanOrEqual(0);
          expect(t?.oldest_pending_ms).toBeLessThanOrEqual(spec.duration_s * 1000);
          if (acc[i].outstanding === 0) expect(t?.oldest_pending_ms).toBe(0);
        });
        let vmBytes = 0;
        for (const vm of s.vms) {
          const tb = vm.threads.reduce((x, t) => x + t.bytes, 0);
          expect(tb).toBe(vm.bytes);
          vmBytes += vm.bytes;
        }
        expect(vmBytes + s.native.reduce((x, t) => x + t.bytes, 0)).toBe(s.total.bytes);
        const completed = sim.accounting().reduce((x, a) => x + a.completed, 0);
        expect(s.total.ios).toBe(completed);
      }),
      { numRuns: 40 },
    );
  });
});

describe('scheduler observability', () => {
  it('samples carry per-context host queue lengths, the context in service, and idle windows in the trace', () => {
    const spec = parseSpec({
      name: 'obs',
      duration_s: 3,
      sample_interval_ms: 100,
      host: { scheduler: 'cfq' },
      vms: [
        {
          name: 'A',
          mapping: 'vpid',
          image: { offset_gb: 0, size_gb: 40 },
          threads: [{ name: 'r', count: 3, size_gb: 4, iodepth: 2 }],
        },
      ],
    });
    const res = simulate(spec);
    const ids = new Set(res.layout.contexts.map((c) => c.id));
    for (const s of res.timeseries.samples) {
      expect(s.ctx_queue).toHaveLength(res.layout.contexts.length);
      expect(s.ctx_queue!.reduce((a, b) => a + b, 0)).toBe(s.host_queue);
      expect(s.in_service_ctx === -1 || ids.has(s.in_service_ctx!)).toBe(true);
    }
    const idle = res.trace.activity.filter((a) => a.kind === 'idle');
    expect(idle.length).toBeGreaterThan(0);
    for (const a of idle) {
      expect(a.end).toBeGreaterThanOrEqual(a.t);
      expect(ids.has(a.ctx)).toBe(true);
    }
    expect(res.summary.scheduler.idle_paid_off).toBeLessThanOrEqual(res.summary.scheduler.idle_windows);
  });
});
