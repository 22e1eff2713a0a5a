/**
 * From a resolved spec to the run's cast: workload threads (one per replica), the host contexts
 * each VM's mapping strategy creates (what the host scheduler sees as processes), and the host
 * scheduling groups. Pure bookkeeping; the behaviour lives in qemu.ts and the schedulers.
 */
import type { RunLayout } from '../../common/result';
import type { DiskModelSpec, Mapping, Spec, ThreadSpec } from '../../common/spec/schema';
import { diskCapacityBytes, imageOf } from '../../common/spec/validate';
import { msToNs, sToNs } from '../core/time';
import { SECTOR_BYTES } from '../io/request';
import type { IoprioClass, SchedContextInfo } from '../sched/types';
import type { ThreadPlan } from '../workload/thread';
import { traceThreadPlans } from '../workload/trace/plan';
import type { TraceProvider } from '../workload/trace/record';

const GIB = 1024 ** 3;
const gibToSectors = (gb: number): number => Math.floor((gb * GIB) / SECTOR_BYTES);

export interface VmPlan {
  index: number;
  name: string;
  mapping: Mapping;
  weight: number;
  imageStart: number;
  imageSectors: number;
  /** Host contexts of this VM (ids), by mapping: one (vm), pool_threads (pool), one per thread (vpid*), hash_buckets (vpid-hash). */
  contexts: number[];
  /** Host group of this VM's contexts (0 = root; a group per VM with vpid-group). */
  group: number;
  threads: number[];
  /**
   * The guest scheduler's contexts (one per guest thread, in `threads` order, id = guest PID) with
   * the thread's I/O priority class and level, as ionice inside the guest sets them.
   */
  guestContexts: SchedContextInfo[];
}

export interface ContextPlan {
  id: number;
  name: string;
  vm: number;
  group: number;
  ioprio: number;
  ioprioClass: IoprioClass;
}

export interface StackLayout {
  vms: VmPlan[];
  threads: ThreadPlan[];
  contexts: ContextPlan[];
  groups: { id: number; name: string; weight: number; parent: number }[];
  /** Host context of each native thread (by thread index). */
  nativeCtx: Map<number, number>;
  /** For vpid mappings: (vm, guest pid) → host context. */
  vpidCtx: Map<string, number>;
  diskSectors: number;
}

function threadPlans(
  th: ThreadSpec,
  vm: number,
  spaceSectors: number,
  firstIndex: number,
  firstPid: number,
  vmStartS: number,
  durationS: number,
): ThreadPlan[] {
  const plans: ThreadPlan[] = [];
  const blockSectors = Math.max(1, Math.round((th.block_kb * 1024) / SECTOR_BYTES));
  for (let r = 0; r < th.count; r++) {
    const offSectors = gibToSectors(th.offset_gb);
    const size = th.size_gb !== undefined ? gibToSectors(th.size_gb) : spaceSectors - offSectors;
    plans.push({
      index: firstIndex + r,
      name: th.count > 1 ? `${th.name}.${r}` : th.name,
      vm,
      pid: firstPid + r,
      op: th.op,
      rwmixRead: th.rwmix_read,
      random: th.pattern === 'random',
      blockSectors,
      iodepth: th.iodepth,
      thinkNs: msToNs(th.think_ms),
      regionStart: offSectors + r * size,
      regionSectors: Math.max(blockSectors, size),
      poissonRateIops: th.arrival ? th.arrival.rate_iops : null,
      startNs: sToNs(Math.max(th.start_s, vmStartS)),
      stopNs: sToNs(Math.min(th.stop_s ?? Number.POSITIVE_INFINITY, durationS)),
      syncWrites: th.sync_writes,
    });
  }
  return plans;
}

export function buildLayout(spec: Spec, disk: DiskModelSpec, traces?: TraceProvider): StackLayout {
  const plansOf = (
    path: string,
    th: ThreadSpec,
    vm: number,
    space: number,
    first: number,
    pid: number,
    startS: number,
  ): ThreadPlan[] =>
    th.trace
      ? traceThreadPlans(path, th, traces, vm, space, first, pid, startS, spec.duration_s)
      : threadPlans(th, vm, space, first, pid, startS, spec.duration_s);
  const capBytes = diskCapacityBytes(disk);
  const capGb = capBytes / GIB;
  const diskSectors = Math.floor(capBytes / SECTOR_BYTES);
  const vms: VmPlan[] = [];
  const threads: ThreadPlan[] = [];
  const contexts: ContextPlan[] = [];
  const groups: StackLayout['groups'] = [];
  const vpidCtx = new Map<string, number>();
  const nativeCtx = new Map<number, number>();
  let nextCtx = 1;
  // Host contexts default to Qemu's own priority (best-effort, level 4); vpid contexts and native
  // threads take the thread's.
  const addCtx = (
    name: string,
    vm: number,
    group: number,
    ioprio = 4,
    ioprioClass: IoprioClass = 'be',
  ): number => {
    const id = nextCtx++;
    contexts.push({ id, name, vm, group, ioprio, ioprioClass });
    return id;
  };

  spec.vms.forEach((vm, vi) => {
    const img = imageOf(spec, vi, capGb);
    const imageSectors = gibToSectors(img.size_gb);
    const plan: VmPlan = {
      index: vi,
      name: vm.name,
      mapping: vm.mapping,
      weight: vm.weight,
      imageStart: gibToSectors(img.offset_gb),
      imageSectors,
      contexts: [],
      group: 0,
      threads: [],
      guestContexts: [],
    };
    if (vm.mapping === 'vpid-group') {
      plan.group = vi + 1;
      groups.push({ id: plan.group, name: vm.name, weight: vm.weight, parent: 0 });
    }
    let pid = 1000;
    for (const [ti, th] of vm.threads.entries()) {
      const ps = plansOf(`vms.${vi}.threads.${ti}`, th, vi, imageSectors, threads.length, pid, vm.start_s);
      pid += ps.length;
      for (const p of ps) {
        threads.push(p);
        plan.threads.push(p.index);
        plan.guestContexts.push({
          id: p.pid,
          group: 0,
          name: p.name,
          ioprio: th.ioprio,
          ioprioClass: th.ioprio_class ?? 'be',
        });
      }
    }
    switch (vm.mapping) {
      case 'vm':
        plan.contexts.push(addCtx(vm.name, vi, 0));
        break;
      case 'pool':
        for (let k = 0; k < vm.pool_threads; k++) plan.contexts.push(addCtx(`${vm.name}/worker ${k}`, vi, 0));
        break;
      case 'vpid-hash':
        for (let k = 0; k < vm.hash_buckets; k++) plan.contexts.push(addCtx(`${vm.name}/bucket ${k}`, vi, 0));
        break;
      case 'vpid':
      case 'vpid-group':
        // The virtual PID selects a host context per guest thread, which carries that thread's
        // I/O priority (class and level) to the host scheduler.
        plan.threads.forEach((ti, k) => {
          const th = threads[ti];
          const { ioprio, ioprioClass } = plan.guestContexts[k];
          const ctx = addCtx(`${vm.name}/${th.name} (vpid ${th.pid})`, vi, plan.group, ioprio, ioprioClass);
          plan.contexts.push(ctx);
          vpidCtx.set(`${vi}:${th.pid}`, ctx);
        });
        break;
    }
    vms.push(plan);
  });

  let nativePid = 5000;
  for (const [ti, th] of spec.native.entries()) {
    const ps = plansOf(`native.${ti}`, th, -1, diskSectors, threads.length, nativePid, 0);
    nativePid += ps.length;
    for (const p of ps) {
      threads.push(p);
      nativeCtx.set(p.index, addCtx(`native ${p.name}`, -1, 0, th.ioprio, th.ioprio_class ?? 'be'));
    }
  }
  return { vms, threads, contexts, groups, nativeCtx, vpidCtx, diskSectors };
}

export function runLayout(spec: Spec, l: StackLayout): RunLayout {
  return {
    vms: l.vms.map((v) => ({
      name: v.name,
      mapping: v.mapping,
      weight: v.weight,
      image_start: v.imageStart,
      image_sectors: v.imageSectors,
    })),
    threads: l.threads.map((t) => ({ name: t.name, vm: t.vm, pid: t.pid })),
    contexts: l.contexts.map((c) => ({ id: c.id, name: c.name, vm: c.vm, group: c.group })),
    disk_sectors: l.diskSectors,
    sample_interval_ms: spec.sample_interval_ms,
    duration_s: spec.duration_s,
    warmup_s: spec.warmup_s,
  };
}
