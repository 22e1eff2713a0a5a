import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { LineReader, openTraceFile } from './reader';
import { scanTrace } from './scan';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'pvblk.mjs');
const EXAMPLES = join(ROOT, 'examples');
const pvblk = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const dir = mkdtempSync(join(tmpdir(), 'pvblk-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

/** A spec file with one native thread replaying a blkparse trace. */
const nativeTraceSpec = (name: string, trace: string) =>
  file(
    name,
    JSON.stringify({
      name: 'b',
      duration_s: 1,
      native: [{ name: 't', trace: { format: 'blkparse', file: trace } }],
    }),
  );

describe('lazy trace reader', () => {
  it('splits lines across chunk boundaries, multi-byte characters and CRLF included', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `${i} ${'é'.repeat(i % 13)} ${'x'.repeat(i % 7)}`);
    const p = file('lines.txt', `${lines.join('\r\n')}\n`);
    for (const chunk of [1, 3, 7, 64, 1 << 20]) {
      const r = new LineReader(p, undefined, chunk);
      const got: string[] = [];
      for (let l = r.next(); l !== null; l = r.next()) got.push(l);
      expect(got).toEqual(lines);
    }
  });

  it('streams a multi-million-line trace in bounded memory', () => {
    const p = join(dir, 'big.disksim-ascii');
    const fd = openSync(p, 'w');
    const lines = 2_000_000;
    for (let i = 0; i < lines; i += 100_000) {
      let s = '';
      for (let k = i; k < i + 100_000; k++) s += `${k * 0.25} 0 ${(k * 8) % 1_000_000} 8 ${k & 1}\n`;
      writeSync(fd, s);
    }
    closeSync(fd);
    // Live heap after a full collection (V8's gc, exposed at run time), so garbage does not count.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const src = openTraceFile(p, { format: 'disksim-ascii' });
    const base = live();
    let peak = 0;
    let n = 0;
    for (let r = src.next(); r !== null; r = src.next()) {
      n++;
      if (n % 250_000 === 0) peak = Math.max(peak, live() - base);
    }
    rmSync(p);
    expect(n).toBe(lines);
    // Holding 2 M records would take well over 100 MB; the reader holds one 1 MiB chunk and its lines.
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });

  it('a bad line names the file, the line and the field', () => {
    const p = file('bad.trace', 'R Hit 1 8 100.0 5.0\nR Hit 9 8 1e9x 5.0\n');
    const src = openTraceFile(p, { format: 'disksim-validate' });
    expect(src.next()).not.toBeNull();
    expect(() => src.next()).toThrow(
      `${p}: line 2, field measured_response_us: expected a non-negative number, got "1e9x"`,
    );
  });

  it('the preview summarises a trace: count, duration, mix, sizes, LBA range, pids', () => {
    const s = scanTrace(join(EXAMPLES, 'traces', 'three-readers.blkparse'), 'blkparse', 'Q');
    expect(s.records).toBe(1800);
    expect(s.reads).toBe(1800);
    expect(s.pids).toEqual([4101, 4102, 4103]);
    expect(s.size_hist.find((b) => b.le_kb === 64)?.count).toBe(1800);
    expect(s.lba_min).toBe(0);
    expect(s.duration_s).toBeGreaterThan(0.1);
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    const v = scanTrace(join(EXAMPLES, 'traces', 'hp_c3323a.trace'), 'disksim-validate');
    expect(v.records).toBe(9074);
    expect(v.lines).toBe(9074);
    expect(v.measured_mean_ms).toBeGreaterThan(10);
  });
});

describe('pvblk with traces', () => {
  it('every example format replays from a spec, with paths relative to the spec file', () => {
    const cases: [string, string][] = [
      ['blkparse', 'traces/three-readers.blkparse'],
      ['fio-iolog', 'traces/random-4k.v2.iolog'],
      ['fio-iolog', 'traces/random-4k.v3.iolog'],
      ['disksim-ascii', 'traces/mixed.disksim-ascii'],
      ['disksim-validate', 'traces/hp_c3323a.trace'],
      ['msr-csv', 'traces/wdev-sample.msr.csv'],
    ];
    for (const [format, rel] of cases) {
      const spec = join(EXAMPLES, `tmp-${process.pid}-${format}.json`);
      writeFileSync(
        spec,
        JSON.stringify({
          name: format,
          duration_s: 0.5,
          host: { scheduler: 'noop' },
          native: [{ name: 't', trace: { format, file: rel } }],
        }),
      );
      try {
        const r = pvblk('run', spec, '--json', '--jobs', '1');
        expect(r.status, r.stderr).toBe(0);
        const t = JSON.parse(r.stdout).runs[0].summary.traces[0];
        expect(t.issued, `${format} ${rel}`).toBeGreaterThan(0);
        // Every record read was issued or dropped, but for the one pulled ahead that arrives after the run.
        expect(t.records - t.issued - t.dropped).toBeGreaterThanOrEqual(0);
        expect(t.records - t.issued - t.dropped).toBeLessThanOrEqual(1);
      } finally {
        rmSync(spec);
      }
    }
  });

  it('split_by pid runs the same blkparse trace under vm and vpid: one guest thread per pid', () => {
    const r = pvblk('run', join(EXAMPLES, 'trace-three-readers.json'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const [vm, vpid] = JSON.parse(r.stdout).runs;
    expect(vm.layout.threads.map((t: { name: string }) => t.name)).toEqual(['dd.4101', 'dd.4102', 'dd.4103']);
    expect(vm.layout.contexts).toHaveLength(1);
    expect(vpid.layout.contexts).toHaveLength(3);
    // CFQ idles on each sequential reader's own queue under vpid; under vm the three streams share one queue and seek.
    expect(vpid.summary.disk.seeks).toBeLessThan(vm.summary.disk.seeks / 10);
    expect(vpid.summary.total.latency_ms.mean).toBeLessThan(vm.summary.total.latency_ms.mean / 2);
    const text = pvblk('run', join(EXAMPLES, 'trace-three-readers.json')).stdout;
    expect(text).toMatch(
      /trace dd\.4101 \(three-readers\.blkparse\): \d+ records, \d+ issued, 0 out of range \(0 remapped, 0 dropped\)/,
    );
  });

  it('a bad trace line exits 2 naming the thread, the file, the line and the field', () => {
    const trace = file(
      'bad.blkparse',
      '  8,0  0  1  0.000000001  12  Q  R 77 + 8 [x]\n  8,0  0  2  0.5  12  Q  R 77 + eight [x]\n',
    );
    const spec = nativeTraceSpec('bad.json', 'bad.blkparse');
    const r = pvblk('run', spec);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`native.0.trace.file: ${trace}: line 2, field count`);
    const missing = nativeTraceSpec('missing.json', 'nope.txt');
    const m = pvblk('run', missing);
    expect(m.status).toBe(2);
    expect(m.stderr).toContain('cannot read (ENOENT)');
  });

  it('a bundle carries its trace files: the replay is identical after the original trace is gone', () => {
    const trace = file(
      'gone.v3.iolog',
      'fio version 3 iolog\n0 /d add\n100 /d read 0 65536\n900 /d write 1048576 4096\n5000 /d read 65536 65536\n',
    );
    const spec = file(
      'gone.json',
      JSON.stringify({
        name: 'g',
        duration_s: 0.2,
        vms: [{ name: 'A', threads: [{ name: 't', trace: { format: 'fio-iolog', file: 'gone.v3.iolog' } }] }],
      }),
    );
    const zip = join(dir, 'gone.pvblk.zip');
    expect(pvblk('run', spec, '--out', zip).status).toBe(0);
    rmSync(trace);
    const r = pvblk('replay', zip);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('identical');
  });

  it('--trace-out writes fio iolog v3 and blkparse text that read back as the replayed trace', () => {
    const input = join(EXAMPLES, 'traces', 'mixed.disksim-ascii');
    const spec = file(
      'out.json',
      JSON.stringify({
        name: 'o',
        duration_s: 5,
        host: { scheduler: 'deadline' },
        native: [{ name: 'n', trace: { format: 'disksim-ascii', file: input } }],
      }),
    );
    const base = join(dir, 'sim');
    const r = pvblk('run', spec, '--trace-out', base, '--json');
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(r.stdout).toBe(pvblk('run', spec, '--json').stdout); // observing the run does not change it
    const readAll = (f: string, format: 'fio-iolog' | 'blkparse', events: 'Q' | 'D' = 'Q') => {
      const src = openTraceFile(f, { format, events });
      const out = [];
      for (let x = src.next(); x !== null; x = src.next()) out.push(x);
      return out;
    };
    const original = (() => {
      const src = openTraceFile(input, { format: 'disksim-ascii' });
      const out = [];
      for (let x = src.next(); x !== null; x = src.next()) out.push(x);
      return out;
    })();
    const iolog = readAll(`${base}.iolog`, 'fio-iolog');
    const queued = readAll(`${base}.blkparse`, 'blkparse', 'Q');
    const issued = readAll(`${base}.blkparse`, 'blkparse', 'D');
    expect(iolog.length).toBe(result.runs[0].summary.total.ios);
    expect(iolog.length).toBe(original.length);
    // Same requests, in the trace's order, at the trace's times (µs in the iolog, ns in blkparse).
    const key = (x: { op: string; sector: number; sectors: number }) => `${x.op} ${x.sector}+${x.sectors}`;
    expect(iolog.map(key)).toEqual(original.map(key));
    expect(queued.map(key)).toEqual(original.map(key));
    expect(iolog.map((x) => x.timeNs)).toEqual(original.map((x) => Math.floor(x.timeNs / 1000) * 1000));
    expect(queued.map((x) => x.timeNs)).toEqual(original.map((x) => x.timeNs));
    expect(issued.length).toBe(original.length);
    for (let i = 1; i < issued.length; i++)
      expect(issued[i].timeNs).toBeGreaterThanOrEqual(issued[i - 1].timeNs);
    const blk = readFileSync(`${base}.blkparse`, 'utf8').trim().split('\n');
    const times = blk.map((l) => Number(l.trim().split(/\s+/)[3]));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
    expect(blk.filter((l) => / C /.test(l))).toHaveLength(original.length);
  });

  it('fio replays the exported iolog', () => {
    const fio = spawnSync('fio', ['--version'], { encoding: 'utf8' });
    if (fio.status !== 0) return; // fio is installed by .ci/run; without it there is nothing to check
    const spec = file(
      'fio.json',
      JSON.stringify({
        name: 'f',
        duration_s: 0.3,
        native: [
          { name: 'n', trace: { format: 'fio-iolog', file: join(EXAMPLES, 'traces', 'random-4k.v3.iolog') } },
        ],
      }),
    );
    const base = join(dir, 'forfio');
    expect(pvblk('run', spec, '--trace-out', base).status).toBe(0);
    const lines = readFileSync(`${base}.iolog`, 'utf8').trim().split('\n');
    const ios = lines.filter((l) => / (read|write) /.test(l));
    const bytes = ios.reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
    const dev = join(dir, 'dev.img');
    writeFileSync(dev, '');
    truncateSync(dev, 3 * 1024 ** 3);
    const run = spawnSync(
      'fio',
      [
        '--name=replay',
        `--read_iolog=${base}.iolog`,
        `--replay_redirect=${dev}`,
        '--ioengine=psync',
        '--output-format=json',
      ],
      { encoding: 'utf8' },
    );
    rmSync(dev);
    expect(run.status, run.stderr).toBe(0);
    const job = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))).jobs[0];
    expect(job.read.io_bytes + job.write.io_bytes).toBe(bytes);
    expect(job.read.total_ios + job.write.total_ios).toBe(ios.length);
  });

  it('pvblk validate replays DiskSim’s HP C3323A trace and reports DiskSim’s RMS beside the published figure', () => {
    const r = pvblk(
      'validate',
      join(EXAMPLES, 'traces', 'hp_c3323a.trace'),
      '--format',
      'disksim-validate',
      '--disk',
      'hp-c3323a',
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.requests).toBe(9074);
    expect(v.measured_mean_ms).toBeCloseTo(15.765, 2);
    expect(v.simulated_mean_ms).toBeGreaterThan(5);
    expect(v.rms_ms).toBeGreaterThan(0);
    expect(v.published_rms_ms).toBe(0.306);
    expect(v.bins.at(-1).measured_cdf).toBe(1);
    const text = pvblk('validate', join(EXAMPLES, 'traces', 'hp_c3323a.trace'), '--disk', 'hp-c3323a');
    expect(text.stdout).toContain('RMS horizontal distance');
    expect(text.stdout).toContain('DiskSim 4.0 publishes 0.306 ms');
    expect(pvblk('validate', join(EXAMPLES, 'traces', 'hp_c3323a.trace'), '--disk', 'nope').status).toBe(2);
    expect(
      pvblk(
        'validate',
        join(EXAMPLES, 'traces', 'three-readers.blkparse'),
        '--format',
        'blkparse',
        '--disk',
        'hp-c3323a',
      ).status,
    ).toBe(2);
  });
});
