import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TRACE_FORMATS, type TraceFormat } from '../../../common/spec/schema';
import { createTraceParser, TraceParseError, type TraceRecord } from './index';

const parseAll = (format: TraceFormat, text: string, events: 'Q' | 'D' = 'Q'): TraceRecord[] => {
  const p = createTraceParser(format, events);
  const out: TraceRecord[] = [];
  text.split('\n').forEach((line, i) => {
    const r = p.parse(line, i + 1);
    if (r) out.push(r);
  });
  return out;
};

const errorOf = (format: TraceFormat, text: string): TraceParseError => {
  try {
    parseAll(format, text);
  } catch (e) {
    if (e instanceof TraceParseError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('blkparse default output', () => {
  const text = [
    '  8,0    3        1     0.000000000   697  Q   W 223490 + 8 [kjournald]',
    '  8,0    3        2     0.000001500   697  G   W 223490 + 8 [kjournald]',
    '  8,0    3        3     0.000012000   697  D   W 223490 + 8 [kjournald]',
    '  8,0    1        4     0.002000000  4101  Q  RS 1000 + 16 [dd]',
    '  8,0    1        5     0.002100000  4101  Q  FN [dd]',
    '  8,0    0        0     0.002200000     0  m   N cfq4101 alloced',
    '  8,0    3        6     0.003000000     0  C   W 223490 + 8 [0]',
    'CPU0 (8,0):',
    ' Reads Queued:           1,        8KiB\t Writes Queued:           1,        4KiB',
  ].join('\n');

  it('reads the chosen event with time, pid, direction, sector and count', () => {
    expect(parseAll('blkparse', text, 'Q')).toEqual([
      { timeNs: 0, op: 'write', sector: 223490, sectors: 8, pid: 697, thinkNs: 0, measuredNs: -1 },
      { timeNs: 2_000_000, op: 'read', sector: 1000, sectors: 16, pid: 4101, thinkNs: 0, measuredNs: -1 },
    ]);
    expect(parseAll('blkparse', text, 'D').map((r) => r.timeNs)).toEqual([12_000]);
  });

  it('names the line and field of a broken event', () => {
    const e = errorOf('blkparse', '  8,0  0  1  0.000000001  12  Q  R 77 - 8 [x]');
    expect(e.line).toBe(1);
    expect(e.field).toBe('sector');
    expect(errorOf('blkparse', 'x\n  8,0  0  1  zero  12  Q  R 77 + 8 [x]').message).toMatch(
      /^line 2, field time/,
    );
  });
});

describe('fio iolog', () => {
  it('v2: waits (µs, below 100 discarded) set the clock and the think time', () => {
    const r = parseAll(
      'fio-iolog',
      'fio version 2 iolog\n/dev/sdb add\n/dev/sdb open\n/dev/sdb wait 500 0\n/dev/sdb read 4096 4096\n/dev/sdb wait 50 0\n/dev/sdb write 1000 100\n/dev/sdb trim 0 4096\n/dev/sdb close',
    );
    expect(r).toEqual([
      { timeNs: 500_000, op: 'read', sector: 8, sectors: 8, pid: -1, thinkNs: 500_000, measuredNs: -1 },
      { timeNs: 500_000, op: 'write', sector: 1, sectors: 2, pid: -1, thinkNs: 0, measuredNs: -1 },
    ]);
  });

  it('v3: timestamps in µs', () => {
    const r = parseAll('fio-iolog', 'fio version 3 iolog\n0 /f add\n10 /f open\n1500 /f write 8192 65536\n');
    expect(r).toEqual([
      { timeNs: 1_500_000, op: 'write', sector: 16, sectors: 128, pid: -1, thinkNs: 0, measuredNs: -1 },
    ]);
  });

  it('needs the version header and known actions', () => {
    expect(errorOf('fio-iolog', '/f read 0 4096').field).toBe('header');
    expect(errorOf('fio-iolog', 'fio version 3 iolog\n5 /f fly 0 1').field).toBe('action');
    expect(errorOf('fio-iolog', 'fio version 3 iolog\n5 /f wait 10 0').field).toBe('action');
    expect(errorOf('fio-iolog', 'fio version 3 iolog\n5 /f read -1 4096').field).toBe('offset');
  });
});

describe('DiskSim traces', () => {
  it('ascii: ms times, flags bit 0 = read', () => {
    expect(parseAll('disksim-ascii', '13.191135\t30\t0\t5\t1\n25.9\t18\t28601\t12\t0')).toEqual([
      { timeNs: 13_191_135, op: 'read', sector: 0, sectors: 5, pid: -1, thinkNs: 0, measuredNs: -1 },
      { timeNs: 25_900_000, op: 'write', sector: 28601, sectors: 12, pid: -1, thinkNs: 0, measuredNs: -1 },
    ]);
    expect(errorOf('disksim-ascii', '1.0 0 5 8 zz').field).toBe('flags');
  });

  it('validate: the think time is the previous line’s interarrival, arrivals follow the traced timeline', () => {
    const r = parseAll(
      'disksim-validate',
      'R Hit 265552 2 14901.0 4757.5\nW Miss 751567 44 21725.0 7050.0\nR Doub 1 1 1000 0',
    );
    expect(r.map((x) => [x.op, x.sector, x.sectors, x.measuredNs, x.thinkNs, x.timeNs])).toEqual([
      ['read', 265552, 2, 14_901_000, 0, 0],
      ['write', 751567, 44, 21_725_000, 4_757_500, 14_901_000 + 4_757_500],
      ['read', 1, 1, 1_000_000, 7_050_000, 14_901_000 + 4_757_500 + 21_725_000 + 7_050_000],
    ]);
    expect(errorOf('disksim-validate', 'R Maybe 1 1 1 1').field).toBe('buffer');
    expect(errorOf('disksim-validate', 'R Hit 1 1 1').field).toBe('line');
    expect(errorOf('disksim-validate', 'X Hit 1 1 1 1').field).toBe('rw');
  });
});

describe('MSR Cambridge CSV', () => {
  it('filetime ticks relative to the first record, bytes to sectors, think = gap after the previous completion', () => {
    const r = parseAll(
      'msr-csv',
      'Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime\n128166372003061629,hm,1,Read,3154149376,32768,2688\n128166372003161629,hm,1,Write,512,4096,100',
    );
    expect(r).toEqual([
      { timeNs: 0, op: 'read', sector: 6160448, sectors: 64, pid: -1, thinkNs: 0, measuredNs: 268_800 },
      {
        timeNs: 10_000_000,
        op: 'write',
        sector: 1,
        sectors: 8,
        pid: -1,
        thinkNs: 10_000_000 - 268_800,
        measuredNs: 10_000,
      },
    ]);
    expect(errorOf('msr-csv', '1,h,0,Erase,0,512,1').field).toBe('Type');
  });
});

// ------------------------------------------------------------------ fuzz

const sectorArb = fc.integer({ min: 0, max: 2 ** 40 });
const countArb = fc.integer({ min: 1, max: 4096 });
const pidArb = fc.integer({ min: 0, max: 4_000_000 });

/** One request per format, written the way the format writes it, and what parsing must give back. */
const lineOf: Record<TraceFormat, fc.Arbitrary<{ text: string; check: (r: TraceRecord) => void }>> = {
  blkparse: fc
    .record({
      t: fc.integer({ min: 0, max: 10 ** 12 }),
      pid: pidArb,
      w: fc.boolean(),
      s: sectorArb,
      n: countArb,
    })
    .map(({ t, pid, w, s, n }) => ({
      text: `  8,16  1 7 ${Math.floor(t / 1e9)}.${String(t % 1e9).padStart(9, '0')} ${pid}  Q  ${w ? 'WS' : 'R'} ${s} + ${n} [proc]`,
      check: (r) =>
        expect(r).toEqual({
          timeNs: t,
          op: w ? 'write' : 'read',
          sector: s,
          sectors: n,
          pid,
          thinkNs: 0,
          measuredNs: -1,
        }),
    })),
  'fio-iolog': fc
    .record({ t: fc.integer({ min: 0, max: 10 ** 9 }), w: fc.boolean(), s: sectorArb, n: countArb })
    .map(({ t, w, s, n }) => ({
      text: `${t} /dev/x ${w ? 'write' : 'read'} ${s * 512} ${n * 512}`,
      check: (r) =>
        expect(r).toEqual({
          timeNs: t * 1000,
          op: w ? 'write' : 'read',
          sector: s,
          sectors: n,
          pid: -1,
          thinkNs: 0,
          measuredNs: -1,
        }),
    })),
  'disksim-ascii': fc
    .record({ us: fc.integer({ min: 0, max: 10 ** 9 }), w: fc.boolean(), s: sectorArb, n: countArb })
    .map(({ us, w, s, n }) => ({
      text: `${(us / 1000).toFixed(3)} 0 ${s} ${n} ${w ? 2 : 3}`,
      check: (r) =>
        expect(r).toEqual({
          timeNs: us * 1000,
          op: w ? 'write' : 'read',
          sector: s,
          sectors: n,
          pid: -1,
          thinkNs: 0,
          measuredNs: -1,
        }),
    })),
  'disksim-validate': fc
    .record({ m: fc.integer({ min: 0, max: 10 ** 7 }), w: fc.boolean(), s: sectorArb, n: countArb })
    .map(({ m, w, s, n }) => ({
      text: `${w ? 'W' : 'R'} Miss ${s} ${n} ${m}.000000 12.5`,
      check: (r) =>
        expect(r).toEqual({
          timeNs: 0,
          op: w ? 'write' : 'read',
          sector: s,
          sectors: n,
          pid: -1,
          thinkNs: 0,
          measuredNs: m * 1000,
        }),
    })),
  'msr-csv': fc
    .record({ w: fc.boolean(), s: sectorArb, n: countArb, m: fc.integer({ min: 0, max: 10 ** 6 }) })
    .map(({ w, s, n, m }) => ({
      text: `128166372003061629,src1,0,${w ? 'Write' : 'Read'},${s * 512},${n * 512},${m}`,
      check: (r) =>
        expect(r).toEqual({
          timeNs: 0,
          op: w ? 'write' : 'read',
          sector: s,
          sectors: n,
          pid: -1,
          thinkNs: 0,
          measuredNs: m * 100,
        }),
    })),
};

describe('every parser (fast-check)', () => {
  for (const format of TRACE_FORMATS) {
    it(`${format}: any line either parses, is skipped, or fails with a line and field — never another error`, () => {
      const header = format === 'fio-iolog' ? 'fio version 3 iolog' : null;
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.string(), fc.stringMatching(/^[\d ,.+A-Za-z\t-]{0,60}$/)), { maxLength: 8 }),
          (lines) => {
            const p = createTraceParser(format);
            if (header) p.parse(header, 1);
            lines.forEach((line, i) => {
              try {
                const r = p.parse(line, i + 2);
                if (r) {
                  expect(Number.isSafeInteger(r.sector) && r.sector >= 0).toBe(true);
                  expect(Number.isSafeInteger(r.sectors) && r.sectors >= 1).toBe(true);
                  expect(Number.isFinite(r.timeNs)).toBe(true);
                }
              } catch (e) {
                expect(e).toBeInstanceOf(TraceParseError);
                expect((e as TraceParseError).line).toBe(i + 2);
                expect((e as TraceParseError).field.length).toBeGreaterThan(0);
              }
            });
          },
        ),
        { numRuns: 300 },
      );
    });

    it(`${format}: a request written in the format parses back to itself`, () => {
      fc.assert(
        fc.property(lineOf[format], ({ text, check }) => {
          const p = createTraceParser(format);
          if (format === 'fio-iolog') p.parse('fio version 3 iolog', 1);
          const r = p.parse(text, 2);
          expect(r).not.toBeNull();
          check(r!);
        }),
        { numRuns: 300 },
      );
    });
  }
});
