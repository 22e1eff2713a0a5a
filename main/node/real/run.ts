/**
 * The real-disk backend: every run of a spec's matrix against real files in DIR, with the kernel's
 * own I/O scheduler in the host role. Each VM is a child process, each host context of its mapping
 * an OS thread doing synchronous O_DIRECT I/O (see io-thread.ts); the result has the simulator's
 * shape plus a `real` block (device, scheduler, rotational flag, artefact flags, the OS threads).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  DispatchPoint,
  ExperimentResult,
  NotRunEntry,
  RunLayout,
  RunResult,
  Sample,
} from '../../common/result';
import type { Spec } from '../../common/spec/schema';
import { expandMatrix, type RunParams } from '../../common/spec/validate';
import { runLayout } from '../../engine/stack/layout';
import { ENGINE_VERSION } from '../../engine/version';
import {
  type CgroupHierarchy,
  CgroupSet,
  cgroupUnavailable,
  cleanCgroupLeftovers,
  findCgroupRoot,
  WEIGHT_FILE_SCHEDULER,
} from './cgroup';
import { type FilePlacement, Placement } from './extents';
import { applyIoprio, type IoprioApplied } from './ioprio';
import { RealCollector } from './metrics';
import { planRun, type RealPlan } from './plan';
import type { ChildMessage, ParentMessage, ThreadReport } from './protocol';
import {
  alignedBuffer,
  checkFilesystem,
  checkFreeSpace,
  cleanLeftovers,
  newRunId,
  prepareDir,
  probeODirect,
  RealRefusal,
  recordFile,
  removeCreatedDir,
  removeOwnFile,
  removeRunFiles,
  writeLock,
} from './safety';
import { type DeviceInfo, deviceOf, diskStat, readText } from './sysfs';

export { RealRefusal } from './safety';

export interface RealInfo {
  /** Disk under DIR (partitions resolved to their disk), null when not a block device (overlay…). */
  device: string | null;
  partition: string | null;
  /** The kernel's current I/O scheduler for the device (never changed by the lab). */
  scheduler: string | null;
  schedulers: string[];
  rotational: boolean | null;
  dir: string;
  /** Possible artefacts, each "code: explanation". */
  flags: string[];
  /** Image / native files (bytes) and each VM image's scale (file bytes / spec image bytes). */
  files: { name: string; bytes: number }[];
  scale: number[];
  /** The OS processes and threads that issued the I/O, one thread per host context. */
  processes: { name: string; vm: number; pid: number; threads: ThreadReport[] }[];
  /** Mean time a request waited for its context's thread, and mean pread/pwrite time (ms). */
  mean_wait_ms: number;
  mean_call_ms: number;
  /**
   * Where the files are on the device (512-byte sectors, partition start included): `physical`
   * from their extents (filefrag), else laid end to end in a logical space. The run's layout
   * (image_start/image_sectors, disk_sectors) and trace sectors use the same placement.
   */
  placement: { physical: boolean; files: FilePlacement[] };
  /**
   * I/O priorities set on the lab's own I/O threads (contexts whose class/level differs from the
   * default best-effort 4: vpid contexts and native threads with ioprio_class/ioprio; see ioprio.ts).
   */
  ioprio: IoprioApplied[];
  /** vpid-group: the lab's group folder for this run (removed after it), else null. */
  cgroups: string | null;
  /** vpid-group: the cgroup hierarchy used and each VM's group with the weights it read back. */
  cgroup_hierarchy: CgroupHierarchy | null;
  cgroup_groups: { vm: string; path: string; weights: Record<string, string> }[];
}

export interface RealRunResult extends RunResult {
  real: RealInfo;
}

export interface RealExperimentResult extends ExperimentResult {
  backend: 'real';
  runs: RealRunResult[];
}

export interface RealOptions {
  dir: string;
  /** Create DIR when it does not exist but its parent does (one level; removed again if left empty). */
  createDir?: boolean;
  /** Cap per image / native file, GiB (default 1). */
  sizeGb?: number;
  signal?: AbortSignal;
  /**
   * Live samples of run `run` (same Sample shape as the simulator's) and the completed requests
   * where they were on the device since the last call (thinned like the simulator's trace).
   */
  onSamples?: (run: number, samples: Sample[], dispatch: DispatchPoint[]) => void;
  onRunDone?: (index: number, total: number, result: RealRunResult) => void;
  /** Progress messages (preparing files, starting run…). */
  onProgress?: (message: string) => void;
  /**
   * Called after the last run with the lab's files (absolute paths), before they are removed: e.g.
   * the bench runs fio on the very same files. The files are removed afterwards whatever happens.
   */
  afterRuns?: (files: string[]) => Promise<void>;
  /**
   * Called when a run's processes and I/O threads are up, just before the I/O starts, with the
   * run's layout (the simulator's, with the files' real placement on the device).
   */
  onStarted?: (run: number, processes: RealInfo['processes'], layout: RunLayout) => void;
  /** Called once the first run's files are written, before it starts (same files as afterRuns when sizes do not change). */
  beforeRuns?: (files: string[]) => Promise<void>;
}

const MIB = 1024 ** 2;
/** OS threads (host contexts) a run may start. */
const MAX_OS_THREADS = 512;

/** The built VM-process entry (out/main/real-vm.js) near this module, or null. */
export function vmProcessFile(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'real-vm.js'),
    join(here, '..', 'real-vm.js'),
    join(here, '..', '..', '..', 'out', 'main', 'real-vm.js'),
  ];
  return candidates.find((f) => existsSync(f)) ?? null;
}

const abortError = (): Error => {
  const e = new Error('real run cancelled');
  e.name = 'AbortError';
  return e;
};

/** Write a file of the lab with real data (not sparse, not fallocated: reads must reach the disk). */
async function fillFile(path: string, bytes: number, signal?: AbortSignal): Promise<void> {
  const chunk = 8 * MIB;
  const buf = alignedBuffer(chunk);
  for (let i = 0; i < chunk; i += 4096) buf.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fh = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_DIRECT,
    0o600,
  );
  try {
    for (let pos = 0; pos < bytes; pos += chunk) {
      if (signal?.aborted) throw abortError();
      const len = Math.min(chunk, bytes - pos);
      buf.writeUInt32LE(pos / 4096, 4);
      await fh.write(buf, 0, len, pos);
    }
  } finally {
    await fh.close();
  }
}

export async function runReal(spec: Spec, opts: RealOptions): Promise<RealExperimentResult> {
  const { dir, created } = prepareDir(opts.dir, opts.createDir === true);
  try {
    return await runRealIn(dir, spec, opts);
  } finally {
    if (created) removeCreatedDir(dir);
  }
}

async function runRealIn(dir: string, spec: Spec, opts: RealOptions): Promise<RealExperimentResult> {
  checkFilesystem(dir);
  const capGb = opts.sizeGb ?? 1;
  if (!(capGb > 0)) throw new RealRefusal('--size-gb: must be positive');
  const runs = expandMatrix(spec);
  // Every run that can run here runs; the others are reported, not run, with the reason.
  const groupsWhy = runs.some(usesGroups) ? cgroupUnavailable() : null;
  const notRun: NotRunEntry[] = [];
  runs.forEach((r, i) => {
    const reason = whyNotRun(r.spec, capGb, groupsWhy);
    if (reason) notRun.push({ index: i, params: r.params, status: 'not-run', reason });
  });
  if (notRun.length === runs.length) throw new RealRefusal(noRunMessage(notRun));
  const skipped = new Set(notRun.map((n) => n.index));
  const vmFile = vmProcessFile();
  if (!vmFile) throw new Error('real-disk backend: out/main/real-vm.js not found; run `npm run build`');
  if (opts.signal?.aborted) throw abortError();
  const cgRoot = findCgroupRoot();
  const removed = [...cleanLeftovers(dir), ...('root' in cgRoot ? cleanCgroupLeftovers(cgRoot.root) : [])];
  if (removed.length) opts.onProgress?.(`removed leftovers of dead runs: ${removed.join(', ')}`);
  const runId = newRunId();
  writeLock(dir, runId);
  const existing = new Map<string, number>();
  const results: RealRunResult[] = [];
  try {
    probeODirect(dir, runId);
    for (const n of notRun)
      opts.onProgress?.(`run ${n.index + 1}/${runs.length}${label(n.params)}: not run: ${n.reason}`);
    for (let i = 0; i < runs.length; i++) {
      if (skipped.has(i)) continue;
      if (opts.signal?.aborted) throw abortError();
      const r = runs[i];
      const plan = planRun(r.spec, runId, capGb, r.spec.seed + i);
      // files: reuse those of the previous run with the same name and size
      const need = plan.files.filter((f) => existing.get(f.name) !== f.bytes);
      for (const f of need)
        if (existing.has(f.name)) {
          removeOwnFile(dir, f.name);
          existing.delete(f.name);
        }
      checkFreeSpace(
        dir,
        need.reduce((s, f) => s + f.bytes, 0),
      );
      for (const f of need) {
        opts.onProgress?.(`writing ${f.name} (${(f.bytes / MIB).toFixed(0)} MiB)`);
        existing.set(f.name, -1);
        recordFile(dir, runId, f.name);
        await fillFile(join(dir, f.name), f.bytes, opts.signal);
        existing.set(f.name, f.bytes);
      }
      if (results.length === 0 && opts.beforeRuns)
        await opts.beforeRuns(plan.files.map((f) => join(dir, f.name)));
      if (opts.signal?.aborted) throw abortError();
      for (const p of plan.processes) for (const t of p.threads) t.file = join(dir, t.file);
      opts.onProgress?.(`run ${i + 1}/${runs.length}${label(r.params)}`);
      const res = await executeRun(r.spec, r.params, plan, dir, runId, vmFile, i, opts);
      results.push(res);
      opts.onRunDone?.(i, runs.length, res);
    }
    if (opts.afterRuns) {
      const files = [...existing.entries()].filter(([, b]) => b > 0).map(([n]) => join(dir, n));
      await opts.afterRuns(files);
    }
  } finally {
    removeRunFiles(dir, runId);
  }
  return {
    name: spec.name,
    seed: spec.seed,
    engine_version: ENGINE_VERSION,
    backend: 'real',
    runs: results,
    ...(notRun.length ? { not_run: notRun } : {}),
  };
}

const usesGroups = (r: { spec: Spec }): boolean => r.spec.vms.some((v) => v.mapping === 'vpid-group');

/**
 * Why a run of the matrix cannot run on this machine, or null when it can: vpid-group without a
 * usable weighted cgroup hierarchy (`groupsWhy`, see cgroup.ts), or more OS threads than the
 * backend starts.
 */
function whyNotRun(run: Spec, capGb: number, groupsWhy: string | null): string | null {
  if (groupsWhy && usesGroups({ spec: run }))
    return `vpid-group: the VMs' weighted I/O cgroups are not available here: ${groupsWhy}`;
  const plan = planRun(run, 'check', capGb, 0);
  const osThreads = plan.processes.reduce((n, p) => n + p.workers.length, 0);
  if (osThreads > MAX_OS_THREADS)
    return `${osThreads} I/O threads (one per host context); the real backend starts at most ${MAX_OS_THREADS}`;
  return null;
}

/** The refusal when no run of the matrix can run here: each reason once, with the runs it stops. */
function noRunMessage(notRun: NotRunEntry[]): string {
  if (notRun.length === 1) return notRun[0].reason;
  const byReason = new Map<string, number[]>();
  for (const n of notRun) byReason.set(n.reason, [...(byReason.get(n.reason) ?? []), n.index + 1]);
  const lines = [...byReason].map(
    ([reason, idx]) => `run${idx.length > 1 ? 's' : ''} ${idx.join(', ')}: ${reason}`,
  );
  return `no run of the matrix can run here:\n  ${lines.join('\n  ')}`;
}

const label = (p: RunParams): string => {
  const s = Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return s ? ` (${s})` : '';
};

interface Child {
  proc: ChildProcess;
  name: string;
  vm: number;
  ready: ThreadReport[] | null;
  done: ThreadReport[] | null;
  exited: boolean;
}

async function executeRun(
  spec: Spec,
  params: RunParams,
  plan: RealPlan,
  dir: string,
  runId: string,
  vmFile: string,
  runIndex: number,
  opts: RealOptions,
): Promise<RealRunResult> {
  const dev = deviceOf(dir);
  const warmupNs = Math.min(spec.warmup_s, spec.duration_s * 0.99) * 1e9;
  const durationNs = spec.duration_s * 1e9;
  const placement = new Placement(
    plan.files.map((f) => ({ path: join(dir, f.name), name: f.name, bytes: f.bytes })),
    dev.partition,
  );
  const fileIndex = new Map(plan.files.map((f, i) => [join(dir, f.name), i]));
  const threadFile: number[] = [];
  for (const p of plan.processes)
    for (const t of p.threads) threadFile[t.index] = fileIndex.get(t.file) ?? -1;
  const layout = realLayout(spec, plan, placement, threadFile, dev.sectors);
  const collector = new RealCollector(
    plan.layout,
    warmupNs,
    durationNs,
    spec.sample_interval_ms,
    spec.trace_max_points,
    (thread, offset) => (threadFile[thread] >= 0 ? placement.sector(threadFile[thread], offset) : -1),
  );
  const intervalNs = spec.sample_interval_ms * 1e6;
  const cgroups = plan.layout.vms.some((v) => v.mapping === 'vpid-group') ? new CgroupSet(runId) : null;
  const children: Child[] = [];
  let ioprio: IoprioApplied[] = [];
  let ioprioFailures: string[] = [];
  let failure: Error | null = null;
  let timer: NodeJS.Timeout | null = null;
  let wake: () => void = () => {};
  const changed = () => wake();
  const onAbort = () => {
    failure ??= abortError();
    changed();
  };
  opts.signal?.addEventListener('abort', onAbort);
  const waitFor = async (cond: () => boolean, timeoutMs: number, what: string): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (failure) throw failure;
      if (Date.now() > deadline) throw new Error(`real-disk backend: timed out ${what}`);
      await new Promise<void>((res) => {
        wake = res;
        setTimeout(res, 100);
      });
    }
    if (failure) throw failure;
  };
  const stopChildren = async (): Promise<void> => {
    for (const c of children)
      if (!c.exited && c.proc.connected) c.proc.send({ type: 'stop' } satisfies ParentMessage);
    const deadline = Date.now() + 3000;
    while (children.some((c) => !c.exited) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    for (const c of children) if (!c.exited) c.proc.kill('SIGKILL');
    while (children.some((c) => !c.exited)) await new Promise((r) => setTimeout(r, 10));
  };
  try {
    for (const p of plan.processes) {
      const proc = fork(vmFile, [], {
        serialization: 'advanced',
        execArgv: [],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      });
      const c: Child = { proc, name: p.name, vm: p.vm, ready: null, done: null, exited: false };
      children.push(c);
      proc.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') c.ready = m.threads;
        else if (m.type === 'records') collector.addRecords(m.data);
        else if (m.type === 'done') {
          c.done = m.threads;
          for (const p of m.pending) collector.notDone(p.index, p.count, p.oldestNs);
        } else if (m.type === 'error') failure ??= new Error(`${p.name}: ${m.message}`);
        changed();
      });
      proc.on('exit', () => {
        c.exited = true;
        changed();
      });
      // judged on 'close', not 'exit': 'exit' can come before the last messages in the IPC pipe
      proc.on('close', (code, sig) => {
        if (!c.done && !failure) failure = new Error(`${p.name}: process exited early (${code ?? sig})`);
        changed();
      });
      proc.on('error', (e) => {
        failure ??= e;
        changed();
      });
      if (cgroups && p.vm >= 0 && plan.layout.vms[p.vm].mapping === 'vpid-group' && proc.pid)
        cgroups.place(cgroups.add(p.vm, plan.layout.vms[p.vm].weight), proc.pid);
      proc.send({ type: 'plan', plan: p } satisfies ParentMessage);
    }
    await waitFor(() => children.every((c) => c.ready), 30_000, 'starting the VM processes');
    const prio = applyIoprio(
      plan.layout,
      children.flatMap((c) => c.ready ?? []),
    );
    ioprio = prio.applied;
    ioprioFailures = prio.failures;
    opts.onStarted?.(
      runIndex,
      children.map((c) => ({ name: c.name, vm: c.vm, pid: c.proc.pid ?? -1, threads: c.ready ?? [] })),
      layout,
    );
    const startStat = diskStat(dev.sysPath);
    const t0 = process.hrtime.bigint() + 20_000_000n;
    const t0Ms = Date.now() + 20;
    for (const c of children) c.proc.send({ type: 'go', t0: t0.toString() } satisfies ParentMessage);
    // interval boundaries: device counters, then emit what is complete (with a lag for in-flight batches)
    let k = 0;
    let prev = startStat;
    let prevT = t0Ms;
    const lagMs = 300;
    const busy: number[] = [];
    const ios: number[] = [];
    const tick = () => {
      const nowMs = Date.now();
      const elapsedNs = (nowMs - t0Ms) * 1e6;
      while (k < collector.intervals && (k + 1) * intervalNs <= elapsedNs) {
        const st = diskStat(dev.sysPath);
        if (st && prev) {
          const dt = Math.max(1, nowMs - prevT);
          collector.setDevice(k, {
            utilization: (st.ioTicksMs - prev.ioTicksMs) / dt,
            inflight: st.inflight,
          });
          busy[k] = st.ioTicksMs - prev.ioTicksMs;
          ios[k] = st.ios - prev.ios;
        }
        prev = st;
        prevT = nowMs;
        k++;
      }
      const s = collector.emit(elapsedNs - lagMs * 1e6);
      if (s.length) opts.onSamples?.(runIndex, s, collector.dispatch.drain());
      const nextMs = t0Ms + ((k + 1) * intervalNs) / 1e6 - Date.now();
      timer = setTimeout(tick, Math.max(1, Math.min(nextMs, 100)));
    };
    timer = setTimeout(tick, Math.max(1, t0Ms + intervalNs / 1e6 - Date.now()));
    await waitFor(
      () => children.every((c) => c.done),
      spec.duration_s * 1000 + 30_000,
      'waiting for the run to end',
    );
    if (timer) clearTimeout(timer);
    await waitFor(() => children.every((c) => c.exited), 5000, 'waiting for the VM processes to exit').catch(
      () => {},
    );
    // last intervals
    const endStat = diskStat(dev.sysPath);
    while (k < collector.intervals) {
      if (endStat && prev) {
        collector.setDevice(k, {
          utilization: (endStat.ioTicksMs - prev.ioTicksMs) / Math.max(1, Date.now() - prevT),
          inflight: endStat.inflight,
        });
        busy[k] = endStat.ioTicksMs - prev.ioTicksMs;
        ios[k] = endStat.ios - prev.ios;
        prev = endStat;
      }
      k++;
    }
    const last = collector.emit(Number.POSITIVE_INFINITY);
    if (last.length) opts.onSamples?.(runIndex, last, collector.dispatch.drain());
    const firstMeasured = Math.floor(warmupNs / intervalNs);
    const sum = (a: number[]) => a.slice(firstMeasured).reduce((s, x) => s + (x ?? 0), 0);
    const summary = collector.summary(dev.scheduler ?? 'unknown', {
      busyMs: startStat ? sum(busy) : null,
      requests: startStat ? sum(ios) : null,
    });
    const processes = children.map((c) => ({
      name: c.name,
      vm: c.vm,
      pid: c.proc.pid ?? -1,
      threads: c.done ?? c.ready ?? [],
    }));
    const n = Math.max(1, summary.total.ios + collector.late);
    const allIos = plan.layout.threads.length ? n : 1;
    const real: RealInfo = {
      device: dev.device,
      partition: dev.partition,
      scheduler: dev.scheduler,
      schedulers: dev.schedulers,
      rotational: dev.rotational,
      dir,
      flags: [],
      files: plan.files,
      scale: plan.scale,
      processes,
      mean_wait_ms: Math.round((collector.waitNs / allIos / 1e6) * 1000) / 1000,
      mean_call_ms: Math.round((collector.callNs / allIos / 1e6) * 1000) / 1000,
      placement: { physical: placement.physical, files: placement.files },
      ioprio,
      cgroups: cgroups?.base ?? null,
      cgroup_hierarchy: cgroups?.hierarchy ?? null,
      cgroup_groups: (cgroups?.groups ?? []).map((g) => ({
        vm: plan.layout.vms[g.vm]?.name ?? String(g.vm),
        path: g.path,
        weights: g.weights,
      })),
    };
    const result: RealRunResult = {
      params,
      layout,
      summary,
      timeseries: { samples: collector.allSamples() },
      trace: { dispatch: collector.dispatch.items, activity: [], truncated: collector.dispatch.truncated },
      real,
    };
    real.flags = artefactFlags(result, dev, spec);
    for (const f of ioprioFailures) real.flags.push(`ioprio-not-applied: ${f}`);
    return result;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
    await stopChildren();
    await cgroups?.remove();
  }
}

/**
 * The run's layout for a real run: the simulator's VMs, threads and contexts, with the disk and
 * the VM images where the files really are (or, without extents, the logical placement).
 */
function realLayout(
  spec: Spec,
  plan: RealPlan,
  placement: Placement,
  threadFile: number[],
  deviceSectors: number | null,
): RunLayout {
  const l = runLayout(spec, plan.layout);
  const vmFile = l.vms.map((_, v) => {
    const t = plan.layout.threads.findIndex((x) => x.vm === v);
    return t >= 0 ? threadFile[t] : -1;
  });
  const ends = placement.files.map((f) => f.end);
  return {
    ...l,
    vms: l.vms.map((v, i) => {
      const f = placement.files[vmFile[i]];
      return f
        ? { ...v, image_start: f.first, image_sectors: f.end - f.first }
        : { ...v, image_start: 0, image_sectors: 0 };
    }),
    disk_sectors: placement.physical && deviceSectors ? deviceSectors : Math.max(0, ...ends),
  };
}

/** Is io.cost enabled for the device (its line in the cgroup v2 root's io.cost.qos says enable=1)? */
function ioCostEnabled(base: string | null, dev: DeviceInfo): boolean {
  if (!base || !dev.majMin) return false;
  const qos = readText(join(dirname(base), 'io.cost.qos')) ?? '';
  return qos.split('\n').some((l) => l.startsWith(`${dev.majMin} `) && /\benable=1\b/.test(l));
}

/** Results that look like artefacts of the machine rather than the disk. */
export function artefactFlags(res: RealRunResult, dev: DeviceInfo, spec: Spec): string[] {
  const flags: string[] = [];
  const real = res.real;
  const name = dev.device ?? '';
  if (!dev.device)
    flags.push(
      'device-unknown: the folder is not on a block device the kernel reports (overlay, network or FUSE filesystem); scheduler and device counters unknown',
    );
  if (/^(vd|xvd)/.test(name) || /qemu|vbox|vmware|virtual/i.test(`${dev.vendor ?? ''} ${dev.model ?? ''}`))
    flags.push(
      `virtual-device: ${name} is a virtual disk (virtio/Xen/emulated): the hypervisor underneath caches and schedules too, so latencies and fairness may not be the physical disk's`,
    );
  if (/^(loop|dm-|md|zram|nbd|rbd|bcache)/.test(name))
    flags.push(
      `stacked-device: ${name} is a loop/device-mapper/RAM/network device: the scheduler that matters may be on the device underneath, and a cache may answer`,
    );
  const callMs = real.mean_call_ms;
  const ios = res.summary.total.ios;
  if (ios > 0) {
    if (dev.rotational && callMs < 0.05)
      flags.push(
        `latency-too-short: mean request time ${callMs} ms on a rotational device (a disk head needs milliseconds): something caches`,
      );
    else if (!dev.rotational && callMs < 0.01)
      flags.push(`latency-too-short: mean request time ${callMs} ms is memory speed: something caches`);
    // threads in layout order (VM threads, then native), replicas expanded
    const specThreads = [...spec.vms.flatMap((v) => v.threads), ...spec.native].flatMap((t) =>
      Array.from({ length: t.count }, () => t),
    );
    const summaries = [...res.summary.vms.flatMap((v) => v.threads), ...res.summary.native];
    const randMeans = summaries
      .filter((t, i) => t.ios > 0 && specThreads[i]?.pattern === 'random' && specThreads[i]?.op === 'read')
      .map((t) => t.latency_breakdown_ms.device);
    if (dev.rotational && randMeans.length && Math.min(...randMeans) < 1)
      flags.push(
        'ssd-like-latency: the device says rotational=1 but requests take under 1 ms on average: a virtual or cached device (rotational is often 1 on virtual disks)',
      );
  }
  if (dev.rotational && res.summary.total.mbps > 300)
    flags.push(
      `ssd-like-throughput: ${res.summary.total.mbps} MB/s on a device that says rotational=1 (one disk head gives at most ~250 MB/s): a virtual, cached or array device`,
    );
  const cores = availableParallelism();
  let cpu = 0;
  let wall = 0;
  for (const p of real.processes)
    for (const t of p.threads) {
      cpu += t.cpu_s;
      wall = Math.max(wall, t.wall_s);
      if (t.wall_s > 0.5 && t.cpu_s / t.wall_s > 0.8)
        flags.push(
          `cpu-bound: I/O thread ${t.name} (tid ${t.tid}) was on the CPU ${Math.round((100 * t.cpu_s) / t.wall_s)}% of the time`,
        );
    }
  if (wall > 0.5 && cpu / wall > 0.8 * cores)
    flags.push(`cpu-bound: the I/O threads used ${(cpu / wall).toFixed(1)} of ${cores} cores`);
  if (!real.placement.physical)
    flags.push(
      "trace-logical: the files' extents on the device are unknown (no filefrag, or a filesystem without FIEMAP): the seek pattern shows offsets with the files laid end to end, not device sectors",
    );
  if (real.cgroups) {
    // a weight acts only through a policy that honours it: bfq's files under bfq, CFQ's blkio.weight
    // under cfq, io.weight through io.cost (configured in io.cost.qos, whatever the scheduler)
    const files = [...new Set(real.cgroup_groups.flatMap((g) => Object.keys(g.weights)))];
    const honoured = files.filter((f) => {
      const by = WEIGHT_FILE_SCHEDULER[f];
      return by === dev.scheduler || (by === 'io.cost' && ioCostEnabled(real.cgroups, dev));
    });
    if (!honoured.length)
      flags.push(
        `weights-inert: the VMs' weights were written to ${files.join(', ') || 'no weight file'} (${real.cgroup_hierarchy}), which ${files.map((f) => WEIGHT_FILE_SCHEDULER[f]).join('/') || 'bfq'} honours; the device's scheduler is ${dev.scheduler ?? 'unknown'}, so the groups share the disk unweighted (switch the scheduler to bfq: docs/real-disk.md)`,
      );
  }
  return flags;
}
