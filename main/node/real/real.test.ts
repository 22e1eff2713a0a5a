/**
 * Real-disk backend (CI: root, a normal disk under os.tmpdir(), small sizes). Needs the build
 * (out/main/real-vm.js, real-io.js): `npx electron-vite build`.
 */
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  statfsSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mapping, SpecInput } from '../../common/spec/schema';
import { parseSpec } from '../../common/spec/validate';
import { runExperiment } from '../runner';
import { cgroupUnavailable } from './cgroup';
import { readIoprio } from './ioprio';
import { RealRefusal, runReal, vmProcessFile } from './run';
import {
  alignedBuffer,
  checkDir,
  checkFilesystem,
  cleanLeftovers,
  prepareDir,
  probeODirect,
  recordFile,
  removeCreatedDir,
  removeRunFiles,
  writeLock,
} from './safety';

const base = mkdtempSync(join(tmpdir(), 'pvblk-real-test-'));
const built = vmProcessFile() !== null;
let directOk = true;
let skipReason = '';
try {
  checkFilesystem(base);
  probeODirect(base, 'probe0');
} catch (e) {
  directOk = false;
  skipReason = (e as Error).message;
}
if (!built)
  console.log('real-disk tests skipped: out/main/real-vm.js missing (run `npx electron-vite build`)');
if (!directOk) console.log(`real-disk tests skipped: ${skipReason}`);
const canRun = built && directOk;

afterAll(() => rmSync(base, { recursive: true, force: true }));

function spec(mapping: Mapping, extra: Partial<SpecInput> = {}): ReturnType<typeof parseSpec> {
  return parseSpec({
    name: `real-${mapping}`,
    duration_s: 1,
    sample_interval_ms: 250,
    disk: { preset: 'sata-7200' },
    host: { scheduler: mapping === 'vpid-group' ? 'cfq' : 'noop', params: {} },
    vms: [
      {
        name: 'A',
        mapping,
        pool_threads: 3,
        hash_buckets: 2,
        image: { offset_gb: 0, size_gb: 40 },
        threads: [{ name: 'seq', count: 1, pattern: 'sequential', block_kb: 64, size_gb: 4 }],
      },
      {
        name: 'B',
        mapping,
        pool_threads: 3,
        hash_buckets: 2,
        image: { offset_gb: 100, size_gb: 40 },
        threads: [{ name: 'rnd', count: 3, pattern: 'random', block_kb: 4, size_gb: 4 }],
      },
    ],
    ...extra,
  });
}

const dirFor = (name: string): string => {
  const d = join(base, name);
  mkdirSync(d, { recursive: true });
  return d;
};

describe.runIf(canRun)('real-disk backend runs', () => {
  for (const mapping of ['vm', 'pool', 'vpid', 'vpid-hash'] as const) {
    it(`mapping ${mapping}: result shape and distinct OS threads/processes`, async () => {
      const dir = dirFor(mapping);
      // while the run is up, every reported thread is a task of its VM process in /proc
      let checked = 0;
      const res = await runReal(spec(mapping), {
        dir,
        sizeGb: 0.0625,
        onStarted: (_run, procs) => {
          for (const p of procs) {
            const tasks = readdirSync(`/proc/${p.pid}/task`).map(Number);
            for (const t of p.threads) expect(tasks).toContain(t.tid);
            expect(tasks.length).toBeGreaterThan(p.threads.length);
            checked++;
          }
        },
      });
      expect(checked).toBe(2);
      expect(res.runs).toHaveLength(1);
      const run = res.runs[0];
      expect(Object.keys(run).sort()).toEqual(['layout', 'params', 'real', 'summary', 'timeseries', 'trace']);
      expect(run.summary.vms.map((v) => v.name)).toEqual(['A', 'B']);
      expect(run.summary.total.ios).toBeGreaterThan(10);
      for (const v of run.summary.vms) expect(v.ios).toBeGreaterThan(0);
      expect(run.timeseries.samples.length).toBe(4);
      const s = run.timeseries.samples[0];
      expect(s.vm_mbps).toHaveLength(2);
      expect(s.thread_mbps).toHaveLength(4);
      expect(s.thread_iops).toHaveLength(4);
      expect(s.latency_hist.length).toBeGreaterThan(10);
      // contexts: one process per VM, one kernel thread per host context
      const procs = run.real.processes;
      expect(procs).toHaveLength(2);
      expect(new Set(procs.map((p) => p.pid)).size).toBe(2);
      expect(procs.every((p) => p.pid !== process.pid)).toBe(true);
      const expected = { vm: [1, 1], pool: [3, 3], vpid: [1, 3], 'vpid-hash': [2, 2] }[mapping];
      expect(procs.map((p) => p.threads.length)).toEqual(expected);
      const tids = procs.flatMap((p) => p.threads.map((t) => t.tid));
      expect(new Set(tids).size).toBe(tids.length);
      for (const p of procs)
        for (const t of p.threads) {
          expect(t.pid).toBe(p.pid);
          expect(t.tid).toBeGreaterThan(0);
          expect(t.tid).not.toBe(p.pid);
        }
      expect(run.layout.contexts.length).toBe(expected[0] + expected[1]);
      expect(run.real.dir).toBe(dir);
      expect(Array.isArray(run.real.flags)).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it('has the simulator result shape (same keys at every level)', async () => {
    const s = spec('vpid', { duration_s: 1, warmup_s: 0.25 });
    const sim = await runExperiment(s, { jobs: 1 });
    const simRun0 = () => sim.runs[0];
    const real = await runReal(s, { dir: dirFor('shape'), sizeGb: 0.0625 });
    const shape = (x: unknown): unknown => {
      if (Array.isArray(x)) return x.length ? [shape(x[0])] : [];
      if (x && typeof x === 'object')
        return Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, shape((x as Record<string, unknown>)[k])]),
        );
      return x === null ? 'number' : typeof x; // nullable numbers (Jain with no data)
    };
    // optional Sample fields the real backend cannot observe (scheduler internals)
    const OPTIONAL = ['ctx_queue', 'in_service_ctx'];
    const simSample = { ...(shape(simRun0().timeseries.samples[0]) as Record<string, unknown>) };
    for (const k of OPTIONAL) delete simSample[k];
    const { real: info, ...run } = real.runs[0];
    expect(info.device === null || typeof info.device === 'string').toBe(true);
    const simRun = sim.runs[0];
    // DiskSim's response/access/positioning times: the simulator's view of the device, omitted here
    const simSummary = shape(simRun.summary) as { disk: Record<string, unknown> };
    for (const k of ['response_time_ms', 'access_time_ms', 'positioning_time_ms']) delete simSummary.disk[k];
    expect(shape(run.summary)).toEqual(simSummary);
    expect(shape(run.layout)).toEqual(shape(simRun.layout));
    expect(shape(run.timeseries.samples[0])).toEqual(simSample);
    expect(run.timeseries.samples.length).toBe(simRun.timeseries.samples.length);
    // the same VMs, threads and contexts; the disk and the images are where the files really are
    const { vms, disk_sectors, ...rest } = run.layout;
    const { vms: simVms, disk_sectors: _simDisk, ...simRest } = simRun.layout;
    expect(rest).toEqual(simRest);
    expect(vms.map(({ image_start: _s, image_sectors: _n, ...v }) => v)).toEqual(
      simVms.map(({ image_start: _s, image_sectors: _n, ...v }) => v),
    );
    expect(Object.keys(run.trace).sort()).toEqual(Object.keys(simRun.trace).sort());
    expect(shape(run.trace.dispatch[0])).toEqual(shape(simRun.trace.dispatch[0]));
    // every traced request lies inside its VM's image as placed on the device
    const files = info.placement.files;
    expect(files).toHaveLength(2);
    expect(run.trace.dispatch.length).toBeGreaterThan(10);
    for (const d of run.trace.dispatch) {
      const v = vms[d.vm];
      expect(d.sector).toBeGreaterThanOrEqual(v.image_start);
      expect(d.sector + d.sectors).toBeLessThanOrEqual(v.image_start + v.image_sectors);
      expect(d.t).toBeGreaterThan(0);
      expect(d.t).toBeLessThanOrEqual(s.duration_s);
    }
    expect(disk_sectors).toBeGreaterThanOrEqual(Math.max(...files.map((f) => f.end)));
    if (info.placement.physical) expect(info.flags.some((f) => f.startsWith('trace-logical'))).toBe(false);
    expect(real.name).toBe(sim.name);
    expect(real.engine_version).toBe(sim.engine_version);
  });

  it('vpid-group: weighted cgroups, or a clear refusal when the machine does not allow them', async () => {
    const dir = dirFor('group');
    const why = cgroupUnavailable();
    if (why) {
      // alone, nothing can run: refused before anything is written
      await expect(runReal(spec('vpid-group'), { dir, sizeGb: 0.0625 })).rejects.toThrow(/vpid-group: /);
      await expect(runReal(spec('vpid-group'), { dir, sizeGb: 0.0625 })).rejects.toBeInstanceOf(RealRefusal);
      console.log(`vpid-group refused as expected: ${why}`);
      // beside strategies that can run (paper-fairness's matrix): they run, vpid-group is a not-run entry
      const done: number[] = [];
      const progress: string[] = [];
      const res = await runReal(
        spec('vpid-group', { matrix: { 'vms.*.mapping': ['vm', 'vpid-group', 'vpid'] } }),
        {
          dir,
          sizeGb: 0.0625,
          onRunDone: (i) => done.push(i),
          onProgress: (m) => progress.push(m),
        },
      );
      expect(res.runs.map((r) => r.params['vms.*.mapping'])).toEqual(['vm', 'vpid']);
      expect(done).toEqual([0, 2]);
      expect(res.not_run).toEqual([
        {
          index: 1,
          params: { 'vms.*.mapping': 'vpid-group' },
          status: 'not-run',
          reason: `vpid-group: the VMs' weighted I/O cgroups are not available here: ${why}`,
        },
      ]);
      expect(progress).toContain(`run 2/3 (vms.*.mapping=vpid-group): not run: ${res.not_run?.[0].reason}`);
      for (const r of res.runs) expect(r.summary.total.ios).toBeGreaterThan(0);
    } else {
      const groupsSeen: string[] = [];
      const res = await runReal(spec('vpid-group'), {
        dir,
        sizeGb: 0.0625,
        onStarted: (_run, procs) => {
          for (const p of procs) groupsSeen.push(readFileSync(`/proc/${p.pid}/cgroup`, 'utf8'));
        },
      });
      const real = res.runs[0].real;
      expect(real.cgroups).toMatch(/pvblk-/);
      expect(real.cgroup_hierarchy).toMatch(/^(v2|v1-blkio)$/);
      expect(real.cgroup_groups.map((g) => g.vm)).toEqual(['A', 'B']);
      expect(real.processes.map((p) => p.threads.length)).toEqual([1, 3]);
      // each VM process was inside its own group while it ran (/proc/PID/cgroup)
      expect(groupsSeen.map((t) => /pvblk-[a-z0-9]+\/vm-(\d)/.exec(t)?.[1])).toEqual(['0', '1']);
      // the weights were written and read back; a weights-inert flag unless the scheduler honours them
      expect(real.cgroup_groups.every((g) => Object.keys(g.weights).length > 0)).toBe(true);
      if (real.scheduler !== 'bfq') expect(real.flags.some((f) => f.startsWith('weights-inert'))).toBe(true);
      // the groups are gone after the run
      expect(existsSync(real.cgroups ?? '')).toBe(false);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a run over the OS-thread limit is not run, the others run; when none can run it is a refusal', async () => {
    const dir = dirFor('threads');
    // pool mapping: pool_threads OS threads per VM; 2 × 300 is over the backend's 512
    const res = await runReal(spec('pool', { matrix: { 'vms.*.pool_threads': [300, 2] } }), {
      dir,
      sizeGb: 0.0625,
    });
    expect(res.runs.map((r) => r.params)).toEqual([{ 'vms.*.pool_threads': 2 }]);
    expect(res.runs[0].real.processes.map((p) => p.threads.length)).toEqual([2, 2]);
    expect(res.not_run).toEqual([
      {
        index: 0,
        params: { 'vms.*.pool_threads': 300 },
        status: 'not-run',
        reason: '600 I/O threads (one per host context); the real backend starts at most 512',
      },
    ]);
    // every run refused: a RealRefusal naming each run and its reason, nothing written
    const none = await runReal(spec('pool', { matrix: { 'vms.*.pool_threads': [300, 400] } }), {
      dir,
      sizeGb: 0.0625,
    }).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(RealRefusal);
    expect((none as Error).message).toMatch(
      /^no run of the matrix can run here:\n {2}run 1: 600 I\/O threads .*\n {2}run 2: 800 I\/O threads/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("vpid contexts carry their guest thread's I/O priority class to the OS thread (ionice)", async () => {
    const s = parseSpec({
      name: 'ioprio',
      duration_s: 0.5,
      sample_interval_ms: 250,
      vms: [
        {
          name: 'A',
          mapping: 'vpid',
          image: { offset_gb: 0, size_gb: 4 },
          threads: [
            { name: 'bg', pattern: 'random', block_kb: 4, size_gb: 1, ioprio_class: 'idle' },
            { name: 'fg', pattern: 'random', block_kb: 4, size_gb: 1, ioprio: 1 },
            { name: 'plain', pattern: 'random', block_kb: 4, size_gb: 1 },
          ],
        },
      ],
    });
    const seen = new Map<string, string | null>();
    const res = await runReal(s, {
      dir: dirFor('ioprio'),
      sizeGb: 0.0625,
      onStarted: (_run, procs, layout) => {
        for (const t of procs[0].threads)
          seen.set(layout.contexts.find((c) => c.id === t.ctx)?.name ?? '', readIoprio(t.tid));
      },
    });
    const real = res.runs[0].real;
    const failed = real.flags.filter((f) => f.startsWith('ioprio-not-applied'));
    if (failed.length) {
      console.log(`ioprio not applied here: ${failed.join('; ')}`);
      return;
    }
    expect(real.ioprio.map((p) => [p.class, p.level])).toEqual([
      ['idle', 7],
      ['be', 1],
    ]);
    const byName = [...seen.entries()];
    expect(byName.find(([n]) => n.includes('bg'))?.[1]).toBe('idle');
    expect(byName.find(([n]) => n.includes('fg'))?.[1]).toBe('best-effort: prio 1');
    // the thread left at the default is not touched (no class set: "none")
    expect(byName.find(([n]) => n.includes('plain'))?.[1]).toMatch(/^none|best-effort: prio 4/);
  });

  it('a parent busy when the VM processes finish still gets every record and done', async () => {
    // The VM processes end while this process does not read their pipes: their last records
    // and 'done' wait in the IPC channel. A VM process that exits on a timer drops them and the
    // run fails with 'process exited early' (seen in CI on a loaded runner).
    const s = spec('vpid', { duration_s: 0.5, sample_interval_ms: 100 });
    let blocked = false;
    const res = await runReal(s, {
      dir: dirFor('busy-parent'),
      sizeGb: 0.0625,
      onSamples: () => {
        if (blocked) return;
        blocked = true;
        const until = Date.now() + 1500;
        while (Date.now() < until);
      },
    });
    expect(blocked).toBe(true);
    const run = res.runs[0];
    expect(run.summary.total.ios).toBeGreaterThan(10);
    expect(run.summary.vms.reduce((a, v) => a + v.ios, 0)).toBe(run.summary.total.ios);
  });

  it('native threads get their own file and thread; live samples stream', async () => {
    const dir = dirFor('native');
    const streamed: number[] = [];
    const s = parseSpec({
      name: 'native',
      duration_s: 1.5,
      sample_interval_ms: 250,
      native: [{ name: 'n', count: 2, pattern: 'random', block_kb: 4, size_gb: 1, think_ms: 1 }],
    });
    const res = await runReal(s, {
      dir,
      sizeGb: 0.0625,
      onSamples: (_r, xs) => streamed.push(...xs.map((x) => x.t)),
    });
    const run = res.runs[0];
    expect(run.summary.native).toHaveLength(2);
    expect(run.real.files).toHaveLength(2);
    expect(run.real.processes[0].threads).toHaveLength(2);
    expect(streamed).toEqual(run.timeseries.samples.map((x) => x.t));
    // think time 1 ms bounds each thread's rate
    for (const t of run.summary.native) expect(t.iops).toBeLessThan(1000);
  });

  it('start/stop, Poisson arrivals and think time behave as in the simulator', async () => {
    const s = parseSpec({
      name: 'timing',
      duration_s: 1,
      sample_interval_ms: 250,
      native: [
        { name: 'early', pattern: 'random', block_kb: 4, size_gb: 0.01, stop_s: 0.5, think_ms: 2 },
        { name: 'late', pattern: 'random', block_kb: 4, size_gb: 0.01, start_s: 0.5, think_ms: 2 },
        {
          name: 'poisson',
          pattern: 'random',
          block_kb: 4,
          size_gb: 0.01,
          arrival: { type: 'poisson', rate_iops: 200 },
        },
      ],
    });
    const res = await runReal(s, { dir: dirFor('timing'), sizeGb: 0.0625 });
    const run = res.runs[0];
    const iops = run.timeseries.samples.map((x) => x.thread_iops ?? []);
    expect(iops[0][0]).toBeGreaterThan(0);
    expect(iops[3][0]).toBe(0);
    expect(iops[0][1]).toBe(0);
    expect(iops[3][1]).toBeGreaterThan(0);
    const [early, late, poisson] = run.summary.native;
    // think 2 ms: at most 500 requests/s while running (half the run)
    expect(early.ios).toBeLessThanOrEqual(260);
    expect(late.ios).toBeLessThanOrEqual(260);
    expect(poisson.ios).toBeGreaterThan(100);
    expect(poisson.ios).toBeLessThan(320);
    // what was left unfinished at the end is reported, as by the simulator: the stopped thread
    // has nothing pending; an unfinished request is never older than the run
    expect(early.pending_ios).toBe(0);
    expect(early.oldest_pending_ms).toBe(0);
    for (const t of [late, poisson]) {
      expect(t.pending_ios).toBeGreaterThanOrEqual(0);
      expect(t.oldest_pending_ms).toBeGreaterThanOrEqual(0);
      expect(t.oldest_pending_ms).toBeLessThanOrEqual(1000);
    }
  });

  it('an open-loop thread far beyond the device reports its backlog as pending at the end', async () => {
    const s = parseSpec({
      name: 'backlog',
      duration_s: 1,
      sample_interval_ms: 250,
      native: [
        {
          name: 'flood',
          pattern: 'random',
          block_kb: 64,
          size_gb: 0.05,
          arrival: { type: 'poisson', rate_iops: 200_000 },
        },
      ],
    });
    const res = await runReal(s, { dir: dirFor('backlog'), sizeGb: 0.0625 });
    const [flood] = res.runs[0].summary.native;
    // ~200k arrivals, one synchronous context: most are still waiting when the run ends
    expect(flood.pending_ios).toBeGreaterThan(100_000);
    expect(flood.pending_ios! + flood.ios).toBeGreaterThan(150_000);
    expect(flood.oldest_pending_ms).toBeGreaterThan(500);
  });

  it('the I/O descriptors of a run are opened with O_DIRECT (bypassing the page cache)', async () => {
    const dir = dirFor('direct');
    const s = parseSpec({
      name: 'direct',
      duration_s: 1,
      sample_interval_ms: 250,
      native: [{ name: 'r', pattern: 'random', block_kb: 4, size_gb: 0.0625 }],
    });
    // While the run goes, every descriptor of this machine's processes that points into the run's
    // folder is looked up in /proc/PID/fdinfo: its open flags must carry O_DIRECT. (A timing check,
    // "slower than the page cache", depends on the drive: a fast NVMe or a host-cached virtual disk
    // answers a 4 KiB O_DIRECT read in ~20 µs.)
    const seen: { fd: string; direct: boolean }[] = [];
    const look = (): void => {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        let fds: string[];
        try {
          fds = readdirSync(`/proc/${pid}/fd`);
        } catch {
          continue;
        }
        for (const fd of fds) {
          try {
            const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
            if (!target.startsWith(dir + '/')) continue;
            const flags = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
            if (flags)
              seen.push({
                fd: `${pid}/${fd} ${target}`,
                direct: (parseInt(flags[1], 8) & constants.O_DIRECT) !== 0,
              });
          } catch {
            // the descriptor closed between the listing and the look
          }
        }
      }
    };
    const res = await runReal(s, { dir, sizeGb: 0.0625, onSamples: look });
    expect(res.runs[0].summary.native[0].ios).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((x) => !x.direct)).toEqual([]);
    // and, whatever the drive, no faster than reads of a file the page cache holds
    const direct = res.runs[0].summary.native[0].latency_ms.mean;
    const f = join(dir, 'buffered.bin');
    writeFileSync(f, Buffer.alloc(16 * 1024 * 1024, 7));
    const fd = openSync(f, constants.O_RDONLY);
    const b = Buffer.alloc(4096);
    const n = 4096;
    for (let i = 0; i < n; i++) readSync(fd, b, 0, 4096, (i % 4096) * 4096);
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) readSync(fd, b, 0, 4096, ((i * 2654435761) % 4096) * 4096);
    const buffered = Number(process.hrtime.bigint() - t) / n / 1e6;
    closeSync(fd);
    rmSync(f);
    console.log(
      `random 4 KiB: O_DIRECT mean ${direct} ms, buffered (page cache) mean ${buffered.toFixed(4)} ms`,
    );
    expect(direct).toBeGreaterThan(buffered);
  });

  it('cancelling mid-run (and while preparing files) leaves no files', async () => {
    const dir = dirFor('cancel');
    const ac = new AbortController();
    const p = runReal(spec('vpid', { duration_s: 10 }), {
      dir,
      sizeGb: 0.125,
      signal: ac.signal,
      onSamples: () => ac.abort(),
    });
    await expect(p).rejects.toThrow(/cancelled/);
    expect(readdirSync(dir)).toEqual([]);
    const ac2 = new AbortController();
    const p2 = runReal(spec('vm', { duration_s: 10 }), {
      dir,
      sizeGb: 0.25,
      signal: ac2.signal,
      onProgress: (m) => {
        if (m.startsWith('writing')) setTimeout(() => ac2.abort(), 5);
      },
    });
    await expect(p2).rejects.toThrow(/cancelled/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('real-disk safety', () => {
  let outside: string;
  beforeAll(() => {
    outside = mkdtempSync(join(tmpdir(), 'pvblk-outside-'));
  });
  afterAll(() => rmSync(outside, { recursive: true, force: true }));

  it('refuses hostile paths', async () => {
    const s = spec('vm');
    const refused = async (dir: string, re: RegExp) => {
      await expect(runReal(s, { dir, sizeGb: 0.0625 })).rejects.toBeInstanceOf(RealRefusal);
      await expect(runReal(s, { dir, sizeGb: 0.0625 })).rejects.toThrow(re);
    };
    await refused('/dev/null', /device|pseudo/);
    for (const dev of ['/dev/sda', '/dev/vda', '/dev/nvme0n1'])
      if (existsSync(dev)) await refused(dev, /device|pseudo/);
    await refused('/dev', /pseudo/);
    const file = join(base, 'a-file');
    writeFileSync(file, 'x');
    await refused(file, /not a directory/);
    await refused(join(base, 'does-not-exist'), /does not exist/);
    const link = join(base, 'link-out');
    symlinkSync(outside, link);
    await refused(link, /symbolic link/);
    expect(readdirSync(outside)).toEqual([]);
    expect(checkDir(base)).toBe(base);
  });

  it('createDir: a missing folder whose parent exists is made and removed again; a missing parent is refused', () => {
    const fresh = join(base, 'fresh-dir');
    expect(() => prepareDir(fresh, false)).toThrow(/does not exist/);
    const p = prepareDir(fresh, true);
    expect(p).toEqual({ dir: fresh, created: true });
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    removeCreatedDir(fresh);
    expect(existsSync(fresh)).toBe(false);
    // an existing folder is used as it is, and never removed
    expect(prepareDir(base, true)).toEqual({ dir: base, created: false });
    // no parent: refused, nothing made
    expect(() => prepareDir(join(base, 'no-parent', 'x'), true)).toThrow(RealRefusal);
    expect(existsSync(join(base, 'no-parent'))).toBe(false);
    // a dangling symlink is not followed to make its target
    const dangling = join(base, 'dangling');
    symlinkSync(join(outside, 'target'), dangling);
    expect(() => prepareDir(dangling, true)).toThrow(/symbolic link/);
    expect(existsSync(join(outside, 'target'))).toBe(false);
    // a folder left non-empty is kept
    const kept = join(base, 'kept');
    prepareDir(kept, true);
    writeFileSync(join(kept, 'user-file'), 'x');
    removeCreatedDir(kept);
    expect(readdirSync(kept)).toEqual(['user-file']);
  });

  it('refuses memory filesystems (tmpfs accepts O_DIRECT on recent kernels but never reaches a disk)', () => {
    if (!existsSync('/dev/shm') || statfsSync('/dev/shm').type !== 0x01021994) {
      console.log('tmpfs check skipped: /dev/shm is not a tmpfs here');
      return;
    }
    expect(() => checkFilesystem('/dev/shm')).toThrow(/tmpfs/);
    expect(() => checkFilesystem(base)).not.toThrow();
  });

  it("removes only the files a dead run's manifest names, and nothing else", () => {
    const dir = dirFor('leftovers');
    // A dead run (pid far above pid_max) whose manifest names one image.
    writeFileSync(
      join(dir, 'pvblk-dead1.lock'),
      JSON.stringify({
        kind: 'pvblk-run-manifest',
        run_id: 'dead1',
        pid: 2 ** 22 + 12345,
        host: hostname(),
        started: 'then',
        files: ['pvblk-dead1-A.img'],
      }),
    );
    writeFileSync(join(dir, 'pvblk-dead1-A.img'), 'x');
    // Same run id, but not in the manifest: not provably the lab's.
    writeFileSync(join(dir, 'pvblk-dead1-notlisted.img'), 'keep');
    // Looks like the lab's, without a manifest: a user's file.
    writeFileSync(join(dir, 'pvblk-mydata-backup.img'), 'keep');
    writeFileSync(join(dir, 'pvblk-orphan-B.img'), 'keep');
    // A lock of the old format or a hand-made one: not a manifest, so nothing of it is touched.
    writeFileSync(join(dir, 'pvblk-old1.lock'), JSON.stringify({ pid: 2 ** 22 + 1, host: hostname() }));
    writeFileSync(join(dir, 'pvblk-old1-C.img'), 'keep');
    writeLock(dir, 'alive1');
    recordFile(dir, 'alive1', 'pvblk-alive1-A.img');
    writeFileSync(join(dir, 'pvblk-alive1-A.img'), 'x');
    writeFileSync(join(dir, 'user-data.img'), 'keep');
    writeFileSync(join(dir, 'pvblk-notours.txt'), 'keep');
    const removed = cleanLeftovers(dir).sort();
    expect(removed).toEqual(['pvblk-dead1-A.img', 'pvblk-dead1.lock']);
    expect(readdirSync(dir).sort()).toEqual([
      'pvblk-alive1-A.img',
      'pvblk-alive1.lock',
      'pvblk-dead1-notlisted.img',
      'pvblk-mydata-backup.img',
      'pvblk-notours.txt',
      'pvblk-old1-C.img',
      'pvblk-old1.lock',
      'pvblk-orphan-B.img',
      'user-data.img',
    ]);
    // A manifest naming another run's file, or a user's, is not the lab's: nothing is deleted.
    writeFileSync(
      join(dir, 'pvblk-dead2.lock'),
      JSON.stringify({
        kind: 'pvblk-run-manifest',
        run_id: 'dead2',
        pid: 2 ** 22 + 7,
        host: hostname(),
        started: 'then',
        files: ['pvblk-mydata-backup.img', 'user-data.img'],
      }),
    );
    expect(cleanLeftovers(dir)).toEqual([]);
    expect(existsSync(join(dir, 'pvblk-mydata-backup.img'))).toBe(true);
    // A run's own cleanup removes what its manifest names, the manifest last.
    removeRunFiles(dir, 'alive1');
    expect(existsSync(join(dir, 'pvblk-alive1-A.img'))).toBe(false);
    expect(existsSync(join(dir, 'pvblk-alive1.lock'))).toBe(false);
    expect(() => recordFile(dir, 'alive1', 'pvblk-alive1-B.img')).toThrow(/manifest/);
  });

  it('aligned buffers are page aligned views usable with O_DIRECT', () => {
    const b = alignedBuffer(8192);
    expect(b.byteOffset % 4096).toBe(0);
    expect(b.length).toBe(8192);
  });
});
