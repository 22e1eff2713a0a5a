/**
 * `pvblk kernel`: every run of a spec's matrix under a real Linux kernel in QEMU, whose block
 * device is the lab's NBD server timed by the engine's disk model (see the files beside this one).
 * Per run: plan the guest (guest-plan.ts), start the NBD server with the partition table, build
 * the initramfs, boot, wait for the guest to power off, read the results disk, and build the
 * result (results.ts). The guest's per-request overhead is measured by a calibration stream and
 * the comparison simulation runs with it (`simSpecFor`).
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExperimentResult, RunResult } from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { expandMatrix } from '../../common/spec/validate';
import { resolveDiskSpec } from '../../engine/disk/index';
import { ENGINE_VERSION } from '../../engine/version';
import { KernelRefusal } from './errors';
import { buildGpt } from './gpt';
import {
  type GuestPlan,
  MARK_CAL_END,
  MARK_CAL_START,
  MARK_CALQ_END,
  MARK_CALQ_START,
  MARK_END,
  MARK_GO,
  PREFIX_SECTORS,
  planGuest,
  SUFFIX_SECTORS,
} from './guest-plan';
import { CALIBRATION_S, guestFiles } from './guest-script';
import { BASE_MODULES, baseInitramfs, runInitramfs, SCHEDULER_MODULES } from './initramfs';
import { cacheDir, debianKernel, type GuestKernel, userKernel } from './kernel-package';
import { NbdServer } from './nbd-server';
import { type Accel, chooseAccel, Guest, qemuBinary, requireQemu } from './qemu';
import {
  buildRun,
  type Calibration,
  calibrate,
  calibrateQueued,
  type DiskSide,
  type QueuedCalibration,
  readTar,
} from './results';
import { simSpecFor, splitOverhead } from './sim-spec';
import { isGuestStage, type KernelStage } from './stages';

export { KernelRefusal } from './errors';
export { simSpecFor, splitOverhead } from './sim-spec';
export type { KernelStage } from './stages';

export interface KernelInfo {
  kernel: string;
  kernel_source: string;
  accel: Accel;
  accel_reason: string;
  vcpus: number;
  /** Read back from the guest's sysfs after writing: scheduler line, iosched files, queue files, cgroups. */
  sysfs: Record<string, string>;
  calibration: Calibration;
  /** The dispatch gap of a stream deeper than the device (null: not measured, see the notes). */
  calibration_queued: QueuedCalibration | null;
  /** The overhead the comparison simulation used before the scheduler (µs): qemu_overhead_us per VM, added to native think_ms. */
  sim_overhead_us: number;
  /** The dispatch gap the comparison simulation used after the scheduler (µs): host.dispatch_latency_us. */
  sim_dispatch_latency_us: number;
  disk: DiskSide;
  /** Guest block-layer view over the run: ms with requests in flight (io_ticks) vs the model disk's busy ms. */
  guest_io_ticks_ms: number | null;
  /** Signs that the guest could not keep up, each "code: explanation". */
  flags: string[];
  notes: string[];
  boot_s: number;
}

export interface KernelRunResult extends RunResult {
  kernel: KernelInfo;
}

export interface KernelExperimentResult extends ExperimentResult {
  backend: 'kernel';
  runs: KernelRunResult[];
}

export interface KernelOptions {
  /** --kernel PATH (bzImage or unpacked tree) and --modules DIR. */
  kernel?: string;
  modules?: string;
  vcpus?: number;
  /** The Qemu binary (default: PVBLK_QEMU, else qemu-system-x86_64 on PATH). */
  qemu?: string;
  /** NBD port (0 = any free port). */
  port?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /** Where a run is (for a progress bar): run index and stage, called as the stages change. */
  onStage?: (run: number, stage: KernelStage) => void;
  /** Run `run` finished: its kernel result and its comparison simulation. */
  onRunDone?: (run: number, result: KernelRunResult, sim: RunResult) => void;
  /** Console lines of the guest (for --verbose). */
  onConsole?: (line: string) => void;
  /** Seconds to wait for the guest to be ready to start (default 600) and extra seconds beyond the run (default 300). */
  bootTimeoutS?: number;
  runSlackS?: number;
  /** Trace the guest's block layer and I/O scheduler messages (ftrace blk tracer) during the run;
   * the text is handed to this callback per run. */
  onBlkTrace?: (text: string, run: number) => void;
}

function statLine(b: Buffer | undefined): number[] | null {
  if (!b) return null;
  const f = b.toString('utf8').trim().split(/\s+/).map(Number);
  return f.length >= 11 ? f : null;
}

export async function runKernel(
  spec: Spec,
  opts: KernelOptions = {},
): Promise<KernelExperimentResult & { sim: ExperimentResult }> {
  const runs = expandMatrix(spec);
  // refuse what the guest cannot express before booting anything
  const plans = runs.map((r) => planGuest(r.spec));
  requireQemu(qemuBinary(opts.qemu));
  const log = opts.onProgress ?? (() => {});
  opts.onStage?.(0, 'kernel-package');
  const kernel: GuestKernel = opts.kernel
    ? userKernel(opts.kernel, opts.modules)
    : debianKernel(cacheDir(), log);
  const { accel, why } = await chooseAccel(kernel.image, cacheDir(), qemuBinary(opts.qemu));
  log(`kernel ${kernel.release} (${kernel.source}); ${accel.toUpperCase()} (${why})`);
  const results: KernelRunResult[] = [];
  const simRuns: RunResult[] = [];
  for (let i = 0; i < runs.length; i++) {
    if (opts.signal?.aborted) throw abortError();
    log(
      `run ${i + 1}/${runs.length}${Object.keys(runs[i].params).length ? ` ${JSON.stringify(runs[i].params)}` : ''}`,
    );
    const r = await runOne(runs[i].spec, runs[i].params, plans[i], kernel, accel, why, opts, i);
    results.push(r);
    opts.onStage?.(i, 'simulate');
    const { simulate } = await import('../../engine/simulation');
    const simSpec = simSpecFor(plans[i], r.kernel.sim_overhead_us, r.kernel.sim_dispatch_latency_us);
    simRuns.push(simulate(simSpec, runs[i].params));
    opts.onRunDone?.(i, r, simRuns[i]);
  }
  return {
    name: spec.name,
    seed: spec.seed,
    engine_version: ENGINE_VERSION,
    backend: 'kernel',
    runs: results,
    sim: { name: spec.name, seed: spec.seed, engine_version: ENGINE_VERSION, runs: simRuns },
  };
}

function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

async function runOne(
  spec: Spec,
  params: Record<string, string | number | boolean>,
  plan: GuestPlan,
  kernel: GuestKernel,
  accel: Accel,
  accelWhy: string,
  opts: KernelOptions,
  runIndex: number,
): Promise<KernelRunResult> {
  const log = opts.onProgress ?? (() => {});
  const vcpus = opts.vcpus ?? 2;
  opts.onStage?.(runIndex, 'initramfs');
  log('  building the initramfs');
  const schedModule = SCHEDULER_MODULES[plan.scheduler];
  const base = baseInitramfs(kernel, [...BASE_MODULES, ...(schedModule ? [schedModule] : [])], cacheDir());
  const dir = mkdtempSync(join(tmpdir(), 'pvblk-kernel-'));
  const srv = new NbdServer({
    disk: resolveDiskSpec(spec.disk),
    prefixSectors: PREFIX_SECTORS,
    suffixSectors: SUFFIX_SECTORS,
    markSectors: [MARK_GO, MARK_CAL_START, MARK_CAL_END, MARK_CALQ_START, MARK_CALQ_END, MARK_END],
  });
  let guest: Guest | null = null;
  const onAbort = () => guest?.stop();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    const total = PREFIX_SECTORS + srv.clock.capacitySectors + SUFFIX_SECTORS;
    if (plan.partitions.length > 0) {
      const g = buildGpt(total, plan.partitions);
      srv.store.write(0, g.head, true);
      srv.store.write((total - g.tail.length / 512) * 512, g.tail, true);
    }
    const port = await srv.listen(opts.port ?? 0);
    const initrd = join(dir, 'initrd.cpio');
    runInitramfs(base, initrd, guestFiles(plan, base.modules, { trace: opts.onBlkTrace !== undefined }));
    const out = join(dir, 'results.img');
    writeFileSync(out, '');
    truncateSync(out, 512 * 1024 * 1024);
    const t0 = Date.now();
    let stage = 'boot';
    opts.onStage?.(runIndex, 'boot');
    log(`  booting (${accel.toUpperCase()}, ${vcpus} vCPU)`);
    let bootS = 0;
    let failLine: string | null = null;
    let timer: NodeJS.Timeout | null = null;
    let timedOut: string | null = null;
    const arm = (s: number, what: string) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = what;
        guest?.stop();
      }, s * 1000);
    };
    arm(opts.bootTimeoutS ?? 600, 'the guest did not get ready to start');
    const g = new Guest({
      image: kernel.image,
      initrd,
      nbdPort: port,
      exportName: srv.exportName,
      resultsDisk: out,
      accel,
      vcpus,
      qemu: opts.qemu,
      onLine: (line) => {
        opts.onConsole?.(line);
        const m = /^PVBLK-STAGE (\S+)/.exec(line);
        if (m) {
          stage = m[1];
          if (isGuestStage(stage) && stage !== 'simulate') opts.onStage?.(runIndex, stage);
          if (stage === 'init') bootS = (Date.now() - t0) / 1000;
          if (stage !== 'running') log(`  guest: ${stage}`);
          if (stage === 'running') {
            log(`  guest: running ${spec.duration_s} s`);
            arm(
              spec.duration_s + CALIBRATION_S + (opts.runSlackS ?? 300),
              'the guest did not finish the run',
            );
          }
        }
        const f = /^PVBLK-FAIL (.*)$/.exec(line);
        if (f) failLine = f[1];
      },
    });
    guest = g;
    const code = await g.exited;
    if (timer) clearTimeout(timer);
    if (opts.signal?.aborted) throw abortError();
    const done = g.lines.some((l) => l === 'PVBLK-DONE');
    if (failLine)
      throw new KernelRefusal(
        `the guest failed at stage ${stage}: ${failLine}\nlast console lines:\n${g.tail()}`,
      );
    if (timedOut)
      throw new KernelRefusal(`timeout: ${timedOut} (stage ${stage})\nlast console lines:\n${g.tail()}`);
    if (!done)
      throw new KernelRefusal(
        `the guest ${stage === 'boot' ? 'failed to boot' : `stopped at stage ${stage}`} (qemu exit ${code})\nlast console lines:\n${g.tail()}`,
      );
    const files = readTar(readFileSync(out));
    const need = (n: string) => {
      const b = files.get(n);
      if (!b) throw new KernelRefusal(`the guest's results have no ${n}`);
      return b.toString('utf8');
    };
    const trace = files.get('blktrace.txt');
    if (opts.onBlkTrace && trace) opts.onBlkTrace(trace.toString('utf8'), runIndex);
    const sysfs: Record<string, string> = {};
    for (const line of need('sysfs.txt').split('\n')) {
      const m = /^(\S+(?: \S+)?) (.*)$/.exec(line.trim());
      if (!m) continue;
      if (line.startsWith('iosched ') || line.startsWith('queue ') || line.startsWith('cgroup ')) {
        const p = line.trim().split(/\s+/);
        sysfs[`${p[0]}.${p[1]}`] = p.slice(2).join(' ');
      } else {
        const p = line.trim().split(/\s+/);
        sysfs[p[0]] = p.slice(1).join(' ');
      }
    }
    const goNs = srv.marks.get(MARK_GO)?.[0];
    const calA = srv.marks.get(MARK_CAL_START)?.[0];
    const calB = srv.marks.get(MARK_CAL_END)?.[0];
    if (goNs === undefined || calA === undefined || calB === undefined)
      throw new KernelRefusal('the NBD server saw no start or calibration marks from the guest');
    const [u0, u1] = need('go_uptime').trim().split(/\s+/).map(Number);
    const goGuestMs = ((u0 + u1) / 2) * 1000;
    const cal = calibrate(srv.clock.log, calA, calB);
    const calqA = srv.marks.get(MARK_CALQ_START)?.[0];
    const calqB = srv.marks.get(MARK_CALQ_END)?.[0];
    const calq =
      calqA !== undefined && calqB !== undefined ? calibrateQueued(srv.clock.log, calqA, calqB) : null;
    const { overheadUs, dispatchUs } = splitOverhead(cal, calq);
    const { run, disk } = buildRun({ spec, params, plan, files, log: srv.clock.log, goNs, goGuestMs });
    const s0 = statLine(files.get('stat0'));
    const s1 = statLine(files.get('stat1'));
    const ioTicks = s0 && s1 ? s1[9] - s0[9] : null;
    const flags: string[] = [];
    if (plan.scheduler === 'bfq') {
      const idle = Number(sysfs['iosched.slice_idle'] ?? '8');
      if (idle > 0 && cal.mean_ms >= idle)
        flags.push(
          `overhead-exceeds-idle: the guest's round trip (${cal.mean_ms} ms per request) is not shorter than bfq's slice_idle (${idle} ms): ` +
            'a process cannot send its next request within the idle window, as it would on a host',
        );
    }
    const endNs = srv.marks.get(MARK_END)?.[0];
    if (ioTicks !== null && endNs !== undefined) {
      const runMs = (endNs - goNs) / 1e6;
      let busyMs = 0;
      for (const e of srv.clock.log)
        if (e.startNs >= goNs && e.endNs <= endNs) busyMs += (e.endNs - e.startNs) / 1e6;
      const idleOutstanding = Math.max(0, ioTicks - busyMs);
      if (ioTicks > 0 && idleOutstanding / runMs > 0.5)
        flags.push(
          `guest-lag: the model disk was idle for ${Math.round(idleOutstanding)} ms of the ${Math.round(runMs)} ms run while the guest had requests outstanding ` +
            '(round trips through the guest, Qemu and the NBD socket); the kernel could not keep the disk as busy as a host would',
        );
    }
    if (disk.queued > 0)
      flags.push(
        `server-queue: ${disk.queued} request(s) waited in the NBD server because the device held queue_depth already (the guest's queue depth exceeded the disk's)`,
      );
    if (disk.late_p99_ms > 2)
      flags.push(
        `late-answers: the server answered up to ${disk.late_p99_ms} ms (99th percentile) after the model's end (a loaded host)`,
      );
    const notes = [...plan.notes];
    if (plan.queueDepth > 16)
      notes.push(`queue_depth ${plan.queueDepth}: Qemu 7.2's NBD client keeps at most 16 requests in flight`);
    log(
      `  calibration: ${cal.mean_ms} ms per request round trip (median ${cal.median_ms}, p90 ${cal.p90_ms}, ${cal.requests} requests)` +
        (calq
          ? `; dispatch gap ${calq.median_ms} ms (median, mean ${calq.mean_ms}, ${calq.requests} requests)`
          : '; dispatch gap not measured'),
    );
    if (!calq)
      notes.push(
        `dispatch gap not measured: a stream one deeper than queue_depth ${plan.queueDepth} exceeds what Qemu's NBD client keeps in flight; the whole round trip is simulated before the scheduler`,
      );
    return {
      ...run,
      kernel: {
        kernel: sysfs.kernel ?? kernel.release,
        kernel_source: kernel.source,
        accel,
        accel_reason: accelWhy,
        vcpus,
        sysfs,
        calibration: cal,
        calibration_queued: calq,
        sim_overhead_us: overheadUs,
        sim_dispatch_latency_us: dispatchUs,
        disk,
        guest_io_ticks_ms: ioTicks,
        flags,
        notes,
        boot_s: Math.round(bootS * 10) / 10,
      },
    };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    guest?.stop();
    if (guest) await guest.exited;
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
