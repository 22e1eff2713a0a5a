import { describe, expect, it } from 'vitest';
import type { SpecInput, TraceSpec } from '../../../common/spec/schema';
import { parseSpec } from '../../../common/spec/validate';
import type { IoUnit } from '../../io/request';
import { Simulation } from '../../simulation';
import type { TraceProvider, TraceRecord } from './record';

const rec = (timeMs: number, sector: number, over: Partial<TraceRecord> = {}): TraceRecord => ({
  timeNs: timeMs * 1e6,
  op: 'read',
  sector,
  sectors: 8,
  pid: -1,
  thinkNs: 0,
  measuredNs: -1,
  ...over,
});

/** An in-memory provider that records how far each source has been read. */
function memoryProvider(records: TraceRecord[]) {
  const pulled: number[] = [];
  const provider: TraceProvider = {
    catalog: () => ({ pids: [...new Set(records.map((r) => r.pid))].sort((a, b) => a - b) }),
    open: (_path, pid) => {
      const mine = records.filter((r) => pid === null || r.pid === pid);
      const k = pulled.push(0) - 1;
      return { next: () => (pulled[k] < mine.length ? mine[pulled[k]++] : null) };
    },
  };
  return { provider, pulled };
}

const nativeSpec = (trace: Partial<TraceSpec>, over: Partial<SpecInput> = {}): SpecInput => ({
  name: 't',
  duration_s: 2,
  sample_interval_ms: 100,
  disk: { preset: 'ssd-sata' },
  host: { scheduler: 'noop' },
  native: [{ name: 'tr', trace: { format: 'disksim-ascii', file: '/mem', ...trace } }],
  ...over,
});

function run(input: SpecInput, records: TraceRecord[]) {
  const { provider, pulled } = memoryProvider(records);
  const submitted: IoUnit[] = [];
  const done: IoUnit[] = [];
  const sim = new Simulation(
    parseSpec(input),
    {},
    {
      traces: provider,
      observer: { submitted: (u) => submitted.push(u), completed: (u) => done.push({ ...u }) },
    },
  );
  const result = sim.result();
  return { result, submitted, done, pulled };
}

describe('trace workload thread', () => {
  it('open mode: requests arrive at their recorded times × time_scale, whatever is outstanding', () => {
    const records = [rec(0, 0), rec(0.01, 800), rec(5, 1600), rec(7.5, 2400, { op: 'write' })];
    const { submitted, result } = run(nativeSpec({ mode: 'open', time_scale: 2 }), records);
    expect(submitted.map((u) => u.tSubmit)).toEqual([0, 20_000, 10_000_000, 15_000_000]);
    expect(submitted.map((u) => [u.op, u.sector, u.sectors])).toEqual([
      ['read', 0, 8],
      ['read', 800, 8],
      ['read', 1600, 8],
      ['write', 2400, 8],
    ]);
    expect(result.summary.traces).toEqual([
      expect.objectContaining({ thread: 'tr', records: 4, issued: 4, out_of_range: 0, exhausted: true }),
    ]);
  });

  it('closed mode: the next request follows the previous completion by its think time (DiskSim validate)', () => {
    const records = [rec(0, 0), rec(0, 800, { thinkNs: 3e6 }), rec(0, 1600, { thinkNs: 0 })];
    const { submitted, done } = run(nativeSpec({ mode: 'closed' }), records);
    expect(submitted).toHaveLength(3);
    expect(submitted[1].tSubmit).toBe(done[0].tDone + 3e6);
    expect(submitted[2].tSubmit).toBe(done[1].tDone);
  });

  it('pulls records lazily: never more than one ahead of what it issued', () => {
    const records = Array.from({ length: 2000 }, (_, i) => rec(i * 0.5, (i * 8) % 100_000));
    const { provider, pulled } = memoryProvider(records);
    const spec = parseSpec(nativeSpec({ mode: 'open' }));
    let issued = 0;
    let maxAhead = 0;
    const sim = new Simulation(
      spec,
      {},
      {
        traces: provider,
        observer: {
          submitted: () => {
            issued++;
            maxAhead = Math.max(maxAhead, pulled[0] - issued);
          },
        },
      },
    );
    sim.result();
    expect(issued).toBe(2000);
    expect(maxAhead).toBeLessThanOrEqual(1);
  });

  it('requests outside the space are counted, then dropped or remapped, never clipped', () => {
    const capSectors = (500 * 1024 ** 3) / 512;
    const records = [rec(0, 0), rec(1, capSectors - 4), rec(2, capSectors + 100), rec(3, 10)];
    const drop = run(nativeSpec({ out_of_range: 'drop' }), records);
    expect(drop.submitted.map((u) => u.sector)).toEqual([0, 10]);
    expect(drop.result.summary.traces![0]).toMatchObject({
      records: 4,
      issued: 2,
      out_of_range: 2,
      dropped: 2,
      remapped: 0,
    });
    const remap = run(nativeSpec({ out_of_range: 'remap' }), records);
    expect(remap.submitted).toHaveLength(4);
    for (const u of remap.submitted) expect(u.sector + u.sectors).toBeLessThanOrEqual(capSectors);
    expect(remap.result.summary.traces![0]).toMatchObject({
      issued: 4,
      out_of_range: 2,
      dropped: 0,
      remapped: 2,
    });
    const shifted = run(nativeSpec({ lba_offset_sectors: -5, out_of_range: 'drop' }), records);
    expect(shifted.submitted.map((u) => u.sector)).toEqual([capSectors - 9, 5]);
    expect(shifted.result.summary.traces![0]).toMatchObject({ out_of_range: 2, dropped: 2 });
  });

  it('inside a VM the trace addresses the VM image', () => {
    const input: SpecInput = {
      ...nativeSpec({}),
      native: [],
      vms: [
        {
          name: 'A',
          image: { offset_gb: 1, size_gb: 1 },
          threads: [{ name: 'g', trace: { format: 'blkparse', file: '/m' } }],
        },
      ],
    };
    const { done, result } = run(input, [rec(0, 0), rec(1, 2 * 1024 ** 2 + 8)]);
    expect(done.map((u) => u.hostSector)).toEqual([2 * 1024 ** 2]);
    expect(result.summary.traces![0]).toMatchObject({ vm: 'A', out_of_range: 1, dropped: 1 });
  });

  it('split_by pid: one guest thread per process id, each replaying only its own records', () => {
    const records = [
      rec(0, 0, { pid: 7 }),
      rec(1, 800, { pid: 9 }),
      rec(2, 8, { pid: 7 }),
      rec(3, 808, { pid: 9 }),
    ];
    const input: SpecInput = {
      ...nativeSpec({}),
      native: [],
      host: { scheduler: 'cfq' },
      vms: [
        {
          name: 'A',
          mapping: 'vpid',
          threads: [{ name: 'g', trace: { format: 'blkparse', file: '/m', split_by: 'pid' } }],
        },
      ],
    };
    const { result, submitted } = run(input, records);
    expect(result.layout.threads.map((t) => t.name)).toEqual(['g.7', 'g.9']);
    expect(result.layout.contexts).toHaveLength(2);
    const byThread = (i: number) => submitted.filter((u) => u.thread === i).map((u) => u.sector);
    expect(byThread(0)).toEqual([0, 8]);
    expect(byThread(1)).toEqual([800, 808]);
  });

  it('a trace thread without a trace provider is a clear error', () => {
    expect(() => new Simulation(parseSpec(nativeSpec({})))).toThrow(
      /native\.0\.trace: this run has no access to trace files/,
    );
  });

  it('rejects count > 1 and arrival on a trace thread', () => {
    expect(() =>
      parseSpec({
        ...nativeSpec({}),
        native: [{ name: 'x', count: 2, trace: { format: 'blkparse', file: 'f' } }],
      }),
    ).toThrow(/native\.0\.count/);
    expect(() =>
      parseSpec({ ...nativeSpec({}), native: [{ name: 'x', trace: { format: 'nope', file: 'f' } }] }),
    ).toThrow(/native\.0\.trace\.format/);
  });
});
