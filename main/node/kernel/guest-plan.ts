/**
 * From one run's spec to what the guest runs. In the guest the kernel plays the spec's **host**:
 * every host context of the simulator's layout (engine/stack/layout.ts) becomes one guest process
 * (a fio job; fio runs each job as its own process, so each has its own io_context and the
 * scheduler's own queue), every VM image and native region is a range of the one NBD disk:
 *
 * - native thread, `vpid`, `vpid-group`: one process per thread, on /dev/vda at the thread's
 *   region (`vpid-group`: the VM's processes in a cgroup v2 group with the VM's weight as
 *   io.bfq.weight);
 * - `vm`, and each bucket of `vpid-hash`: one process serving several threads, each thread's
 *   region a GPT partition of the disk (partitions share the disk's one queue): a fio job over
 *   the partitions round robin, with the threads' I/O depths summed (libaio);
 * - `pool`: refused (Qemu's pool hands each request to whichever worker is free; fio cannot move
 *   one stream's requests between processes).
 *
 * Host schedulers map to Linux 6.1's blk-mq ones: noop → none, deadline → mq-deadline,
 * bfq → bfq. CFQ left Linux in 5.0: a CFQ spec runs under BFQ, its successor, on both sides of the
 * comparison (the simulation beside it is switched to bfq too), with the tunables both have;
 * anticipatory (gone since 2.6.33) is refused. Tunables go to /sys/block/vda/queue/iosched/ under
 * their sysfs names (the lab's `_ms`/`_kb` suffix dropped; same units).
 */
import type { Spec } from '../../common/spec/schema';
import { TUNABLES } from '../../common/spec/tunables';
import { resolveDiskSpec } from '../../engine/disk/index';
import { SECTOR_BYTES } from '../../engine/io/request';
import { buildLayout, type StackLayout } from '../../engine/stack/layout';
import { hashPid } from '../../engine/stack/qemu';
import type { ThreadPlan } from '../../engine/workload/thread';
import { KernelRefusal } from './errors';
import { GPT_BACKUP_SECTORS, type GptPartition } from './gpt';

/** Sectors before the model disk on the NBD export (partition table, marks) and after it (backup table). */
export const PREFIX_SECTORS = 2048;
export const SUFFIX_SECTORS = 2048;
/**
 * Metadata sectors the guest reads to mark instants on the server's clock, each in its own 4 KiB
 * block (the guest reads whole 4 KiB blocks even with O_DIRECT).
 */
export const MARK_GO = 1024;
export const MARK_CAL_START = 1032;
export const MARK_CAL_END = 1040;
export const MARK_END = 1048;
export const MARK_CALQ_START = 1056;
export const MARK_CALQ_END = 1064;
/** Qemu 7.2's NBD client keeps at most this many requests in flight. */
export const NBD_CLIENT_MAX_INFLIGHT = 16;

export const KERNEL_SCHEDULER: Record<string, string> = { noop: 'none', deadline: 'mq-deadline', bfq: 'bfq' };

/** Sysfs files of the 6.1 schedulers (block/bfq-iosched.c bfq_attrs, block/mq-deadline.c deadline_attrs). */
const SYSFS_TUNABLES: Record<string, string[]> = {
  none: [],
  'mq-deadline': [
    'read_expire',
    'write_expire',
    'writes_starved',
    'front_merges',
    'fifo_batch',
    'async_depth',
    'prio_aging_expire',
  ],
  bfq: [
    'fifo_expire_sync',
    'fifo_expire_async',
    'back_seek_max',
    'back_seek_penalty',
    'slice_idle',
    'slice_idle_us',
    'max_budget',
    'timeout_sync',
    'strict_guarantees',
    'low_latency',
  ],
};

/** The lab's tunable name as Linux names the sysfs file (units are the same). */
export const sysfsName = (lab: string): string => lab.replace(/_(ms|kb)$/, '');

export interface GuestJob {
  /** fio job name (also the log file prefix). */
  name: string;
  /** Host context id (layout.contexts) and the global thread indices it serves. */
  ctx: number;
  threads: number[];
  /** cgroup (under /sys/fs/cgroup) or null (root). */
  cgroup: string | null;
  /** fio job section text (without the [name] line). */
  options: string[];
  /** Partitions (1-based numbers) when the job serves several threads, else null (/dev/vda). */
  partitions: number[] | null;
}

export interface GuestPlan {
  layout: StackLayout;
  scheduler: string;
  /** sysfs file → value to write. */
  tunables: Record<string, number>;
  cgroups: { name: string; weightFile: string; weight: number }[];
  jobs: GuestJob[];
  partitions: GptPartition[];
  /** Model sectors of the disk. */
  diskSectors: number;
  queueDepth: number;
  /** Request pool of the scheduler (queue/nr_requests) or null for `none` (see `hostNrRequests`). */
  nrRequests: number | null;
  rotational: boolean;
  /** What was changed or approximated to express the spec in the guest. */
  notes: string[];
  /** The spec as the comparison simulates it (cfq → bfq), before the overhead is applied. */
  simSpec: Spec;
  /** Calibration stream: block size (bytes) and its region (model sectors). */
  calibration: { blockBytes: number; start: number; sectors: number };
  durationS: number;
}

const fioRw = (t: ThreadPlan): string => {
  const r = t.random ? 'rand' : '';
  if (t.op === 'read') return `${r}read`;
  if (t.op === 'write') return `${r}write`;
  return t.random ? 'randrw' : 'rw';
};

/** fio options for the I/O shape of thread `t` (shared by the threads of a multi-thread job). */
function shapeOptions(t: ThreadPlan, iodepth: number, spec: Spec): string[] {
  const o = [`rw=${fioRw(t)}`, `bs=${t.blockSectors * SECTOR_BYTES}`];
  if (t.op === 'rw') o.push(`rwmixread=${t.rwmixRead}`);
  const buffered = t.op === 'write' && !t.syncWrites;
  o.push(`direct=${buffered ? 0 : 1}`);
  o.push(iodepth > 1 ? 'ioengine=libaio' : 'ioengine=psync', `iodepth=${iodepth}`);
  if (t.thinkNs > 0) o.push(`thinktime=${Math.round(t.thinkNs / 1000)}`);
  if (t.poissonRateIops !== null) o.push(`rate_iops=${t.poissonRateIops}`, 'rate_process=poisson');
  const start = t.startNs / 1e9;
  const stop = Math.min(t.stopNs / 1e9, spec.duration_s);
  o.push('time_based=1', `runtime=${Math.max(0.001, stop - start).toFixed(3)}s`);
  o.push(`randseed=${(spec.seed * 7919 + t.index * 104729 + 1) >>> 0}`);
  return o;
}

/** Do two threads issue the same kind of I/O (so one fio job can serve both)? */
const sameShape = (a: ThreadPlan, b: ThreadPlan): boolean =>
  a.op === b.op &&
  a.rwmixRead === b.rwmixRead &&
  a.random === b.random &&
  a.blockSectors === b.blockSectors &&
  a.thinkNs === b.thinkNs &&
  a.poissonRateIops === b.poissonRateIops &&
  a.startNs === b.startNs &&
  a.stopNs === b.stopNs &&
  a.syncWrites === b.syncWrites;

/** The host scheduler and tunables in the guest, and the spec the comparison simulates. */
function mapScheduler(
  spec: Spec,
  notes: string[],
): { scheduler: string; tunables: Record<string, number>; simSpec: Spec } {
  const simSpec = structuredClone(spec);
  let sched: string = spec.host.scheduler;
  let params = { ...spec.host.params };
  if (sched === 'anticipatory')
    throw new KernelRefusal(
      'host.scheduler: anticipatory left Linux in 2.6.33; the guest kernel (6.1) has none, mq-deadline, bfq and kyber',
      2,
    );
  if (sched === 'cfq') {
    const bfqNames = new Set(TUNABLES.bfq.map((t) => t.name));
    const kept: Record<string, number> = {};
    const dropped: string[] = [];
    for (const [k, v] of Object.entries(params)) {
      if (bfqNames.has(k)) kept[k] = v;
      else dropped.push(k);
    }
    notes.push(
      `cfq: CFQ left Linux in 5.0; the kernel runs bfq (its successor) and the simulation beside it too` +
        (dropped.length ? ` (CFQ-only tunables not applied: ${dropped.join(', ')})` : ''),
    );
    sched = 'bfq';
    params = kept;
    simSpec.host = { scheduler: 'bfq', params: kept };
  }
  const scheduler = KERNEL_SCHEDULER[sched];
  const tunables: Record<string, number> = {};
  const files = SYSFS_TUNABLES[scheduler];
  for (const [k, v] of Object.entries(params)) {
    const f = sysfsName(k);
    if (!files.includes(f))
      throw new KernelRefusal(`host.params.${k}: ${scheduler} in Linux 6.1 has no sysfs tunable ${f}`, 2);
    tunables[f] = v;
  }
  return { scheduler, tunables, simSpec };
}

export function planGuest(spec: Spec): GuestPlan {
  const disk = resolveDiskSpec(spec.disk);
  const layout = buildLayout(spec, disk);
  const notes: string[] = [];
  const { scheduler, tunables, simSpec } = mapScheduler(spec, notes);
  const partitions: GptPartition[] = [];
  const jobs: GuestJob[] = [];
  const cgroups: GuestPlan['cgroups'] = [];
  const hostSector = (t: ThreadPlan): number => (t.vm >= 0 ? layout.vms[t.vm].imageStart : 0) + t.regionStart;
  const regionOf = (t: ThreadPlan): { start: number; sectors: number } => {
    const start = hostSector(t);
    const sectors = Math.min(t.regionSectors, layout.diskSectors - start);
    if (sectors < t.blockSectors)
      throw new KernelRefusal(
        `thread ${t.name}: its region ends beyond the disk (${layout.diskSectors} sectors)`,
        2,
      );
    return { start, sectors };
  };
  const prio = (ctx: number): string[] => {
    const c = layout.contexts.find((x) => x.id === ctx);
    if (!c) return [];
    const cls = c.ioprioClass === 'rt' ? 1 : c.ioprioClass === 'idle' ? 3 : 2;
    return cls === 2 && c.ioprio === 4
      ? []
      : [`prioclass=${cls}`, ...(cls === 3 ? [] : [`prio=${c.ioprio}`])];
  };

  const single = (name: string, ctx: number, ti: number, cgroup: string | null): GuestJob => {
    const t = layout.threads[ti];
    const r = regionOf(t);
    return {
      name,
      ctx,
      threads: [ti],
      cgroup,
      partitions: null,
      options: [
        'filename=/dev/vda',
        `offset=${(PREFIX_SECTORS + r.start) * SECTOR_BYTES}`,
        `size=${alignDown(r.sectors, t.blockSectors) * SECTOR_BYTES}`,
        ...shapeOptions(t, t.iodepth, spec),
        ...prio(ctx),
      ],
    };
  };

  const multi = (name: string, ctx: number, tis: number[], cgroup: string | null): GuestJob => {
    const ts = tis.map((i) => layout.threads[i]);
    const bad = ts.find((t) => !sameShape(t, ts[0]));
    if (bad)
      throw new KernelRefusal(
        `vm ${layout.vms[ts[0].vm].name}: threads ${ts[0].name} and ${bad.name} differ in op, pattern, block size, think time, arrival or start/stop; ` +
          'the guest serves one VM context with one fio job, which needs one I/O shape (use vpid, or give the threads the same shape)',
        2,
      );
    const nums: number[] = [];
    for (const t of ts) {
      const r = regionOf(t);
      partitions.push({
        start: PREFIX_SECTORS + r.start,
        sectors: alignDown(r.sectors, t.blockSectors),
        name: t.name,
      });
      nums.push(partitions.length);
    }
    const depth = ts.reduce((s, t) => s + t.iodepth, 0);
    return {
      name,
      ctx,
      threads: tis,
      cgroup,
      partitions: nums,
      options: [
        `filename=${nums.map((n) => `/dev/vda${n}`).join(':')}`,
        'file_service_type=roundrobin',
        ...shapeOptions(ts[0], depth, spec),
        ...prio(ctx),
      ],
    };
  };

  for (const vm of layout.vms) {
    const cg = vm.mapping === 'vpid-group' ? `pvblk-vm${vm.index}` : null;
    // the spec's validation allows vpid-group only with cfq or bfq, and cfq runs as bfq here
    if (cg) cgroups.push({ name: cg, weightFile: 'io.bfq.weight', weight: vm.weight });
    switch (vm.mapping) {
      case 'pool':
        throw new KernelRefusal(
          `vm ${vm.name}: mapping pool cannot run in the guest (Qemu's aio pool hands each request to whichever worker is free; ` +
            'a guest process cannot pass one stream between processes); use vm, vpid, vpid-group or vpid-hash',
          2,
        );
      case 'vm':
        jobs.push(
          vm.threads.length === 1
            ? single(`vm${vm.index}`, vm.contexts[0], vm.threads[0], cg)
            : multi(`vm${vm.index}`, vm.contexts[0], vm.threads, cg),
        );
        break;
      case 'vpid-hash':
        vm.contexts.forEach((c, k) => {
          const ctxThreads = vm.threads.filter(
            (ti) => hashPid(layout.threads[ti].pid) % vm.contexts.length === k,
          );
          if (ctxThreads.length === 0) return;
          jobs.push(
            ctxThreads.length === 1
              ? single(`vm${vm.index}h${k}`, c, ctxThreads[0], cg)
              : multi(`vm${vm.index}h${k}`, c, ctxThreads, cg),
          );
        });
        break;
      case 'vpid':
      case 'vpid-group':
        vm.threads.forEach((ti, k) => {
          jobs.push(single(`vm${vm.index}t${k}`, vm.contexts[k], ti, cg));
        });
        break;
    }
  }
  layout.threads.forEach((t, ti) => {
    if (t.vm < 0) jobs.push(single(`n${ti}`, layout.nativeCtx.get(ti) ?? 0, ti, null));
  });
  if (jobs.length === 0) throw new KernelRefusal('the spec has no threads: nothing to run in the guest', 2);
  if (layout.vms.some((v) => v.guestContexts.length > 0 && v.index >= 0)) {
    const gs = new Set(spec.vms.map((v) => v.guest_scheduler));
    notes.push(
      `the guest kernel plays the host: the spec's VMs are processes in it, with no guest block layer of their own ` +
        `(guest_scheduler ${[...gs].join('/')} and virtio queue depth are simulated only)`,
    );
  }
  for (const t of layout.threads)
    if (t.poissonRateIops !== null) {
      notes.push(
        'poisson arrivals: fio rate_iops with rate_process=poisson holds back when the disk lags (not open loop)',
      );
      break;
    }
  const blocks = layout.threads.map((t) => t.blockSectors);
  const calBlock = blocks.sort((a, b) => a - b)[Math.floor(blocks.length / 2)];
  // calibration region: the last 64 MiB of the disk (read-ahead hits: the round trip, not the media)
  const calSectors = Math.min(131_072, Math.floor(layout.diskSectors / 4));
  const diskSpec = disk;
  return {
    layout,
    scheduler,
    tunables,
    cgroups,
    jobs,
    partitions,
    diskSectors: layout.diskSectors,
    queueDepth: diskSpec.queue_depth,
    nrRequests: hostNrRequests(
      scheduler,
      layout.threads.map((t) => t.iodepth),
    ),
    rotational: diskSpec.kind === 'hdd',
    notes,
    simSpec,
    calibration: {
      blockBytes: calBlock * SECTOR_BYTES,
      start: layout.diskSectors - calSectors - GPT_BACKUP_SECTORS,
      sectors: calSectors,
    },
    durationS: spec.duration_s,
  };
}

/**
 * The scheduler's request pool as a host gives it. blk-mq sizes it from the driver's tag depth
 * (block/blk-mq-sched.c blk_mq_init_sched: 2 × min(queue_depth, BLKDEV_DEFAULT_RQ)), so virtio_blk
 * with queue_depth=1 leaves bfq 2 requests: the third of three readers sleeps for a tag, takes the
 * one the in-service reader's completion frees, and its arrival preempts that reader's idling
 * (bfq_bfqq_handle_idle_busy_switch, BFQQE_PREEMPTED). A host's disk at depth 1 sits behind its
 * HBA's tag set (ahci: 32 tags, 64 requests) and its depth is a budget (scsi_mq_get_budget), and the
 * model has no pool limit: at least 64, and twice the threads' summed I/O depth, at most
 * MAX_SCHED_RQ (2048). `none` has no scheduler tags (its pool is the driver's tags).
 */
export function hostNrRequests(scheduler: string, iodepths: number[]): number | null {
  if (scheduler === 'none') return null;
  const sum = iodepths.reduce((a, b) => a + b, 0);
  return Math.min(2048, Math.max(64, 2 * sum));
}

function alignDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}
