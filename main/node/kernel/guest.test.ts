import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SpecInput } from '../../common/spec/schema';
import { parseSpec } from '../../common/spec/validate';
import { presetSpec } from '../../engine/presets/index';
import { CpioWriter } from './cpio';
import type { DiskLogEntry } from './disk-clock';
import { KernelRefusal } from './errors';
import { buildGpt, crc32, GPT_FIRST_USABLE } from './gpt';
import { hostNrRequests, PREFIX_SECTORS, planGuest } from './guest-plan';
import { guestFiles, queuedCalibrationDepth } from './guest-script';
import { moduleDepends } from './kernel-package';
import { calibrate, calibrateQueued, parseFioLog, readTar } from './results';
import { simSpecFor, splitOverhead } from './run';

const dir = mkdtempSync(join(tmpdir(), 'pvblk-kernel-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (s: Partial<SpecInput>) =>
  parseSpec({
    name: 't',
    duration_s: 5,
    disk: { preset: 'sata-7200' },
    host: { scheduler: 'bfq', params: {} },
    ...s,
  });
const reader = (name: string, count = 1, extra: Record<string, unknown> = {}) => ({
  name,
  count,
  op: 'read' as const,
  pattern: 'sequential' as const,
  block_kb: 64,
  size_gb: 4,
  ...extra,
});

describe('guest plan: the spec as guest processes', () => {
  it('vpid: one fio job (process) per guest thread on /dev/vda at the thread’s host sectors', () => {
    const p = planGuest(
      spec({
        vms: [
          { name: 'A', mapping: 'vpid', image: { offset_gb: 10, size_gb: 20 }, threads: [reader('r', 2)] },
        ],
      }),
    );
    expect(p.jobs).toHaveLength(2);
    expect(p.partitions).toHaveLength(0);
    const img = p.layout.vms[0].imageStart;
    const t1 = p.layout.threads[1];
    expect(p.jobs[1].options).toContain(`offset=${(PREFIX_SECTORS + img + t1.regionStart) * 512}`);
    expect(p.jobs[1].options).toContain('filename=/dev/vda');
    expect(p.jobs[1].options).toContain('ioengine=psync');
  });

  it('vm: one process over one GPT partition per thread, depths summed', () => {
    const p = planGuest(spec({ vms: [{ name: 'B', mapping: 'vm', threads: [reader('r', 4)] }] }));
    expect(p.jobs).toHaveLength(1);
    expect(p.partitions).toHaveLength(4);
    expect(p.jobs[0].options).toContain('filename=/dev/vda1:/dev/vda2:/dev/vda3:/dev/vda4');
    expect(p.jobs[0].options).toContain('iodepth=4');
    expect(p.jobs[0].options).toContain('ioengine=libaio');
  });

  it('vpid-group: a cgroup v2 group per VM with io.bfq.weight', () => {
    const s = {
      vms: [
        { name: 'heavy', mapping: 'vpid-group' as const, weight: 300, threads: [reader('r')] },
        {
          name: 'light',
          mapping: 'vpid-group' as const,
          weight: 100,
          image: { offset_gb: 100, size_gb: 40 },
          threads: [reader('r')],
        },
      ],
    };
    const p = planGuest(spec(s));
    expect(p.cgroups).toEqual([
      { name: 'pvblk-vm0', weightFile: 'io.bfq.weight', weight: 300 },
      { name: 'pvblk-vm1', weightFile: 'io.bfq.weight', weight: 100 },
    ]);
    const init = guestFiles(p, ['virtio_blk', 'bfq']).init;
    expect(init).toContain("echo '300' > /sys/fs/cgroup/pvblk-vm0/io.bfq.weight");
    expect(init).toContain('insmod /lib/modules/virtio_blk.ko queue_depth=1');
    // a host's request pool, written after the scheduler switch that resets it (6.1
    // blk_mq_init_sched gives 2 × virtio_blk's depth = 2, which starves the third reader of a tag)
    expect(p.nrRequests).toBe(64);
    expect(init.indexOf('> $Q/nr_requests')).toBeGreaterThan(init.indexOf('> $Q/scheduler'));
    expect(init).toContain('echo 1 > $Q/rotational');
    expect(hostNrRequests('none', [1, 1])).toBeNull();
    expect(hostNrRequests('bfq', [32, 32, 32])).toBe(192);
    expect(hostNrRequests('bfq', [2000, 2000])).toBe(2048);
    const c = planGuest(spec({ ...s, host: { scheduler: 'cfq', params: {} } }));
    expect(c.cgroups[1]).toEqual({ name: 'pvblk-vm1', weightFile: 'io.bfq.weight', weight: 100 });
  });

  it('ioprio of vpid and native contexts becomes fio prioclass/prio', () => {
    const p = planGuest(
      spec({
        native: [reader('n', 1, { ioprio_class: 'rt', ioprio: 2 }), reader('i', 1, { ioprio_class: 'idle' })],
      }),
    );
    expect(p.jobs[0].options).toEqual(expect.arrayContaining(['prioclass=1', 'prio=2']));
    expect(p.jobs[1].options).toContain('prioclass=3');
  });

  it('maps schedulers and tunables to Linux 6.1 sysfs names; cfq runs as bfq on both sides', () => {
    const d = planGuest(
      spec({
        host: { scheduler: 'deadline', params: { read_expire_ms: 100, writes_starved: 4 } },
        native: [reader('r')],
      }),
    );
    expect(d.scheduler).toBe('mq-deadline');
    expect(d.tunables).toEqual({ read_expire: 100, writes_starved: 4 });
    const c = planGuest(
      spec({ host: { scheduler: 'cfq', params: { slice_idle_ms: 4, quantum: 8 } }, native: [reader('r')] }),
    );
    expect(c.scheduler).toBe('bfq');
    expect(c.tunables).toEqual({ slice_idle: 4 });
    expect(c.simSpec.host).toEqual({ scheduler: 'bfq', params: { slice_idle_ms: 4 } });
    expect(c.notes.join(' ')).toMatch(/CFQ left Linux in 5\.0.*quantum/);
  });

  it('refuses what the guest cannot express, with the reason', () => {
    const refuse = (s: Partial<SpecInput>, re: RegExp) => {
      let err: unknown;
      try {
        planGuest(spec(s));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KernelRefusal);
      expect((err as KernelRefusal).exitCode).toBe(2);
      expect((err as Error).message).toMatch(re);
    };
    refuse({ vms: [{ name: 'P', mapping: 'pool', threads: [reader('r')] }] }, /pool cannot run in the guest/);
    refuse(
      { host: { scheduler: 'anticipatory', params: {} }, native: [reader('r')] },
      /anticipatory left Linux/,
    );
    refuse(
      { vms: [{ name: 'M', mapping: 'vm', threads: [reader('a'), reader('b', 1, { block_kb: 4 })] }] },
      /differ in op, pattern, block size/,
    );
    refuse({}, /no threads/);
  });

  it('paper presets plan for every mapping of their matrix', () => {
    for (const name of ['paper-fairness', 'paper-throughput']) {
      for (const mapping of ['vm', 'vpid', 'vpid-group'] as const) {
        const s = presetSpec(name) as SpecInput & { vms: { mapping: 'vm' | 'vpid' | 'vpid-group' }[] };
        delete (s as { matrix?: unknown }).matrix;
        for (const vm of s.vms) vm.mapping = mapping;
        const p = planGuest(parseSpec(s));
        expect(p.scheduler).toBe('bfq');
        expect(p.jobs.length).toBeGreaterThan(0);
      }
    }
  });

  it('the comparison simulation carries the calibrated overhead', () => {
    const p = planGuest(
      spec({ vms: [{ name: 'A', threads: [reader('r')] }], native: [reader('n', 1, { think_ms: 1 })] }),
    );
    const s = simSpecFor(p, 1500);
    expect(s.vms[0].qemu_overhead_us).toBe(1500);
    expect(s.native[0].think_ms).toBeCloseTo(2.5, 9);
    expect(s.host.dispatch_latency_us).toBeUndefined();
    // with a measured dispatch gap: the gap after the scheduler, the rest of the round trip before it
    const cal = { requests: 100, mean_ms: 1.8, median_ms: 0.9, p90_ms: 3, service_ms: 0.4 };
    const split = splitOverhead(cal, { requests: 100, mean_ms: 2, median_ms: 1.1, p90_ms: 4 });
    expect(split).toEqual({ overheadUs: 700, dispatchUs: 1100 });
    const g = simSpecFor(p, split.overheadUs, split.dispatchUs);
    expect(g.host.dispatch_latency_us).toBe(1100);
    expect(g.vms[0].qemu_overhead_us).toBe(700);
    // never more than the whole round trip; nothing measured: all of it before the scheduler
    expect(splitOverhead(cal, { requests: 9, mean_ms: 5, median_ms: 2.5, p90_ms: 6 })).toEqual({
      overheadUs: 0,
      dispatchUs: 1800,
    });
    expect(splitOverhead(cal, null)).toEqual({ overheadUs: 1800, dispatchUs: 0 });
  });

  it('measures the dispatch gap with a stream one deeper than the device, where Qemu can', () => {
    const one = planGuest(spec({ native: [reader('n')] }));
    const init = guestFiles(one, ['virtio_blk']).init;
    expect(init).toContain('--rw=randread');
    expect(init).toMatch(/--ioengine=libaio --iodepth=2 /);
    expect(init.indexOf('stage calibration-queued')).toBeLessThan(init.indexOf('stage start'));
    expect(queuedCalibrationDepth(1)).toBe(2);
    expect(queuedCalibrationDepth(15)).toBe(16);
    expect(queuedCalibrationDepth(32)).toBeNull();
  });
});

describe('GPT', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('writes headers with valid CRCs, entries with the partitions, and a backup at the end', () => {
    const total = 1_000_000;
    const { head, tail } = buildGpt(total, [
      { start: 2048, sectors: 1000, name: 'a' },
      { start: 5000, sectors: 64, name: 'b' },
    ]);
    expect(head.readUInt16LE(510)).toBe(0xaa55);
    const h = head.subarray(512, 1024);
    expect(h.subarray(0, 8).toString()).toBe('EFI PART');
    const crc = h.readUInt32LE(16);
    const copy = Buffer.from(h.subarray(0, 92));
    copy.writeUInt32LE(0, 16);
    expect(crc32(copy)).toBe(crc);
    expect(Number(h.readBigUInt64LE(40))).toBe(GPT_FIRST_USABLE);
    expect(Number(h.readBigUInt64LE(32))).toBe(total - 1);
    const entries = head.subarray(1024);
    expect(crc32(entries)).toBe(h.readUInt32LE(88));
    expect(Number(entries.readBigUInt64LE(128 + 32))).toBe(5000);
    expect(Number(entries.readBigUInt64LE(128 + 40))).toBe(5063);
    const backup = tail.subarray(tail.length - 512);
    expect(Number(backup.readBigUInt64LE(24))).toBe(total - 1);
    expect(() => buildGpt(total, [{ start: 10, sectors: 5, name: 'x' }])).toThrow(/usable area/);
  });

  it('Linux tools read the table (sfdisk) when present', () => {
    const total = 8192;
    const { head, tail } = buildGpt(total, [{ start: 2048, sectors: 2048, name: 'p1' }]);
    const img = join(dir, 'gpt.img');
    const b = Buffer.alloc(total * 512);
    head.copy(b, 0);
    tail.copy(b, b.length - tail.length);
    writeFileSync(img, b);
    let out: string;
    try {
      out = execFileSync('sfdisk', ['--dump', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // no util-linux: nothing to compare with
      throw e;
    }
    expect(out).toMatch(/label: gpt/);
    expect(out).toMatch(/start=\s*2048, size=\s*2048/);
  });
});

describe('initramfs and results formats', () => {
  it('cpio newc: busybox cpio lists what was written, with symlinks and devices', () => {
    const f = join(dir, 'a.cpio');
    const w = new CpioWriter(f);
    w.file('init', '#!/bin/sh\n', 0o755);
    w.file('etc/pvblk/x.fio', 'abc');
    w.symlink('bin/sh', 'busybox');
    w.charDevice('dev/console', 5, 1);
    w.close();
    const b = readFileSync(f);
    expect(b.subarray(0, 6).toString()).toBe('070701');
    let listing: string;
    try {
      listing = execFileSync('cpio', ['-t'], { input: b, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    expect(listing.split('\n')).toEqual(
      expect.arrayContaining(['init', 'etc/pvblk/x.fio', 'bin/sh', 'dev/console']),
    );
  });

  it('reads a tar archive as busybox/GNU tar writes it', () => {
    const src = join(dir, 'tarsrc');
    execFileSync('mkdir', ['-p', src]);
    writeFileSync(join(src, 'sysfs.txt'), 'scheduler [bfq]\n');
    writeFileSync(join(src, 'big.log'), 'x'.repeat(1500));
    const tar = execFileSync('tar', ['-cf', '-', '-C', src, '.']);
    const files = readTar(tar);
    expect(files.get('sysfs.txt')?.toString()).toBe('scheduler [bfq]\n');
    expect(files.get('big.log')?.length).toBe(1500);
  });

  it('parses fio latency logs (time ms, latency ns, direction, size, offset, prio)', () => {
    const e = parseFioLog('3111465, 319781, 0, 65536, 1048576, 0\n3111466, 1047, 1, 4096, 8192, 0\nbad\n');
    expect(e).toEqual([
      { tMs: 3111465, latNs: 319781, read: true, bytes: 65536, offset: 1048576 },
      { tMs: 3111466, latNs: 1047, read: false, bytes: 4096, offset: 8192 },
    ]);
  });

  it('calibration: the time from each answer to the stream’s next request', () => {
    const log: DiskLogEntry[] = [];
    let t = 1000;
    for (let i = 0; i < 12; i++) {
      const svc = 500_000;
      log.push({
        op: 'read',
        sector: i * 128,
        sectors: 128,
        arriveNs: t,
        startNs: t,
        endNs: t + svc,
        replyNs: t + svc,
        seekCyl: 0,
        cacheHit: true,
        queued: false,
      });
      t += svc + 2_000_000; // 2 ms round trip
    }
    const c = calibrate(log, 0, t);
    expect(c.mean_ms).toBeCloseTo(2, 6);
    expect(c.median_ms).toBeCloseTo(2, 6);
    expect(c.service_ms).toBeCloseTo(0.5, 6);
  });

  it('dispatch gap: each arrival measured from the last answer before it, while a request waits', () => {
    // A depth-1 device and a stream of depth 2: every request after the first two is already
    // queued in the guest when the answer before it leaves; it arrives 0.8 ms later (1 ms for every
    // fourth: a guest stall, which the median ignores).
    const log: DiskLogEntry[] = [];
    let t = 1000;
    const entry = (arriveNs: number, replyNs: number): DiskLogEntry => ({
      op: 'read',
      sector: 0,
      sectors: 128,
      arriveNs,
      startNs: arriveNs,
      endNs: replyNs,
      replyNs,
      seekCyl: 0,
      cacheHit: false,
      queued: false,
    });
    log.push(entry(t, t + 10_000_000), entry(t + 100_000, t + 20_800_000)); // sent at once; the second waits
    t += 10_000_000;
    for (let i = 0; i < 20; i++) {
      const gap = i % 4 === 3 ? 1_000_000 : 800_000;
      const arrive = t + 10_000_000 + gap; // the answer before it left at t + 10 ms
      log.push(entry(arrive, arrive + 10_000_000));
      t += 10_000_000 + gap;
    }
    const c = calibrateQueued(log, 0, Number.MAX_SAFE_INTEGER);
    expect(c.median_ms).toBeCloseTo(0.8, 6);
    expect(c.mean_ms).toBeGreaterThan(0.8);
    expect(c.mean_ms).toBeLessThan(1);
    expect(c.requests).toBeGreaterThan(15);
  });

  it('module dependencies come from the .modinfo depends= string', () => {
    const ko = Buffer.concat([
      Buffer.from('\x7fELF....'),
      Buffer.from('\0license=GPL\0depends=virtio,virtio_ring\0vermagic=6.1\0'),
    ]);
    expect(moduleDepends(ko)).toEqual(['virtio', 'virtio_ring']);
    expect(moduleDepends(Buffer.from('\0depends=\0'))).toEqual([]);
  });
});

describe('no Qemu outlives the lab', () => {
  it('the wrapper kills its command when the lab process is killed with SIGKILL', async () => {
    const { QEMU_WRAPPER } = await import('./qemu');
    // a stand-in lab process: starts the wrapper around `sleep 300` (the stand-in Qemu), prints the wrapper's pid
    const lab = spawn(
      process.execPath,
      [
        '-e',
        `const c = require('node:child_process').spawn('sh', ['-c', ${JSON.stringify(QEMU_WRAPPER)}, 'pvblk-qemu', 'sleep', '300'], { stdio: ['pipe', 'inherit', 'inherit'] });
         console.log(c.pid); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const wrapperPid = await new Promise<number>((resolve) =>
      lab.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    let sleepPid = 0;
    for (let i = 0; i < 50 && !sleepPid; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const r = spawnSync('pgrep', ['-P', String(wrapperPid), '-x', 'sleep'], { encoding: 'utf8' });
      sleepPid = Number(r.stdout.trim().split('\n')[0]) || 0;
    }
    expect(sleepPid).toBeGreaterThan(0);
    lab.kill('SIGKILL');
    let alive = true;
    for (let i = 0; i < 40 && alive; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        process.kill(sleepPid, 0);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });

  it('a stop (SIGTERM to the wrapper) as soon as Qemu started kills Qemu, every time', async () => {
    const { QEMU_WRAPPER } = await import('./qemu');
    const dir = mkdtempSync(join(tmpdir(), 'pvblk-wrapper-'));
    try {
      // the stand-in Qemu says its pid, then becomes `sleep` (the same pid)
      const pidFile = join(dir, 'pid');
      const qemu = join(dir, 'fake-qemu');
      writeFileSync(
        qemu,
        `#!/bin/sh\necho $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}\nexec sleep 300\n`,
        {
          mode: 0o755,
        },
      );
      const left: number[] = [];
      // The stop comes at once, as the kernel backend's stop() sends it: often before the wrapper
      // has started its stdin watcher (a race that left Qemu running in about 1 of 10 stops).
      for (let i = 0; i < 20; i++) {
        rmSync(pidFile, { force: true });
        const w = spawn('sh', ['-c', QEMU_WRAPPER, 'pvblk-qemu', qemu], {
          stdio: ['pipe', 'ignore', 'ignore'],
        });
        const exited = new Promise((r) => w.once('exit', r));
        let pid = 0;
        for (let k = 0; k < 2000 && !pid; k++) {
          try {
            pid = Number(readFileSync(pidFile, 'utf8'));
          } catch {
            await new Promise((r) => setTimeout(r, 2));
          }
        }
        expect(pid).toBeGreaterThan(0);
        w.stdin.end();
        w.kill('SIGTERM');
        await exited;
        let alive = true;
        for (let k = 0; k < 40 && alive; k++) {
          try {
            process.kill(pid, 0);
            await new Promise((r) => setTimeout(r, 50));
          } catch {
            alive = false;
          }
        }
        if (alive) {
          left.push(pid);
          process.kill(pid, 'SIGKILL');
        }
      }
      expect(left, 'stand-in Qemu processes still running after their stop').toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a kernel run’s result from the guest’s logs and the disk’s log', () => {
  it('threads from fio logs, disk time and shares from the NBD log, time 0 at the start mark', async () => {
    const { buildRun } = await import('./results');
    const s = spec({
      duration_s: 2,
      warmup_s: 0,
      sample_interval_ms: 1000,
      native: [reader('a'), reader('b', 1, { offset_gb: 100 })],
    });
    const plan = planGuest(s);
    const goNs = 5e9; // server clock at the start mark
    const goGuestMs = 1000; // guest CLOCK_MONOTONIC at the start mark
    const [ta, tb] = plan.layout.threads;
    const log: DiskLogEntry[] = [];
    const fioA: string[] = [];
    const fioB: string[] = [];
    // a: 10 requests of 64 KiB, 3 ms of disk each; b: 10 requests, 1 ms each
    for (let i = 0; i < 10; i++) {
      for (const [t, svc, lines] of [
        [ta, 3e6, fioA],
        [tb, 1e6, fioB],
      ] as const) {
        const start = goNs + 100e6 * i + (t === tb ? 50e6 : 0);
        log.push({
          op: 'read',
          sector: t.regionStart + i * 128,
          sectors: 128,
          arriveNs: start,
          startNs: start,
          endNs: start + svc,
          replyNs: start + svc,
          seekCyl: i === 0 ? 100 : 0,
          cacheHit: false,
          queued: false,
        });
        const doneMs = goGuestMs + (start + svc - goNs) / 1e6 + 1;
        lines.push(
          `${Math.round(doneMs)}, ${svc + 1e6}, 0, 65536, ${(PREFIX_SECTORS + t.regionStart + i * 128) * 512}, 0`,
        );
      }
    }
    const files = new Map([
      [`${plan.jobs[0].name}_lat.1.log`, Buffer.from(fioA.join('\n'))],
      [`${plan.jobs[1].name}_lat.1.log`, Buffer.from(fioB.join('\n'))],
      [`${plan.jobs[0].name}_clat.1.log`, Buffer.from('ignored, 1, 0, 1, 1, 0\n')],
    ]);
    const { run, disk } = buildRun({ spec: s, params: {}, plan, files, log, goNs, goGuestMs });
    const [a, b] = run.summary.native;
    expect(a.ios).toBe(10);
    expect(b.ios).toBe(10);
    expect(a.mbps).toBeCloseTo((10 * 65536) / 2 / 1e6, 2);
    expect(a.disk_time_share).toBeCloseTo(0.75, 4);
    expect(b.disk_time_share).toBeCloseTo(0.25, 4);
    expect(a.latency_ms.mean).toBeCloseTo(4, 1);
    expect(disk.busy_s).toBeCloseTo(0.04, 6);
    expect(run.summary.disk.seeks).toBe(2);
    expect(run.trace.dispatch).toHaveLength(20);
    expect(run.trace.dispatch[0]).toMatchObject({ t: 0, thread: 0, sector: ta.regionStart });
    expect(run.timeseries.samples).toHaveLength(2);
    expect(run.timeseries.samples[0].thread_disk_share[0]).toBeCloseTo(0.75, 4);
  });
});
