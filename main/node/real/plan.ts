/**
 * From one run's spec to the real processes, threads and files: the simulator's layout decides
 * the host contexts (buildLayout), each VM becomes a process with one I/O thread per context, and
 * each VM image / native thread becomes a file in DIR, scaled down to the size cap with the
 * regions inside it.
 */
import type { Spec } from '../../common/spec/schema';
import { resolveDiskSpec } from '../../engine/disk/index';
import { SECTOR_BYTES } from '../../engine/io/request';
import { buildLayout, type StackLayout } from '../../engine/stack/layout';
import { hashPid } from '../../engine/stack/qemu';
import type { IoThreadPlan, IoWorkerPlan, ProcessPlan } from './protocol';
import { safeName } from './safety';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

export interface RealFile {
  name: string;
  bytes: number;
}

export interface RealPlan {
  layout: StackLayout;
  processes: ProcessPlan[];
  files: RealFile[];
  /** VM index → file scale (file bytes / image bytes). */
  scale: number[];
}

const alignDown = (x: number, a: number): number => Math.floor(x / a) * a;

export function planRun(spec: Spec, runId: string, capGb: number, seedBase: number): RealPlan {
  const disk = resolveDiskSpec(spec.disk);
  const layout = buildLayout(spec, disk);
  const capBytes = Math.max(MIB, alignDown(capGb * GIB, MIB));
  const files: RealFile[] = [];
  const processes: ProcessPlan[] = [];
  const scale: number[] = [];
  const durationNs = spec.duration_s * 1e9;
  const used = new Set<string>();
  const fileName = (base: string): string => {
    let n = `pvblk-${runId}-${safeName(base)}.img`;
    for (let k = 2; used.has(n); k++) n = `pvblk-${runId}-${safeName(base)}-${k}.img`;
    used.add(n);
    return n;
  };

  const threadPlan = (
    ti: number,
    local: number,
    file: string,
    fileBytes: number,
    f: number,
  ): IoThreadPlan => {
    const t = layout.threads[ti];
    const blockBytes = t.blockSectors * SECTOR_BYTES;
    const align = blockBytes % 4096 === 0 ? 4096 : SECTOR_BYTES;
    let start = alignDown(t.regionStart * SECTOR_BYTES * f, align);
    let bytes = alignDown(t.regionSectors * SECTOR_BYTES * f, blockBytes);
    if (bytes < blockBytes) bytes = blockBytes;
    if (start + bytes > fileBytes) start = Math.max(0, alignDown(fileBytes - bytes, align));
    if (start + bytes > fileBytes) bytes = alignDown(fileBytes - start, blockBytes);
    return {
      index: ti,
      local,
      file,
      regionStart: start,
      regionBytes: bytes,
      blockBytes,
      op: t.op,
      rwmixRead: t.rwmixRead,
      random: t.random,
      iodepth: t.iodepth,
      thinkNs: t.thinkNs,
      poissonRateIops: t.poissonRateIops,
      startNs: t.startNs,
      stopNs: t.stopNs,
      syncWrites: t.syncWrites,
      seed: (seedBase * 7919 + ti * 104729 + 1) >>> 0 || 1,
    };
  };

  for (const vm of layout.vms) {
    const imageBytes = vm.imageSectors * SECTOR_BYTES;
    const fileBytes = Math.min(capBytes, Math.max(MIB, alignDown(imageBytes, MIB)));
    const f = fileBytes / imageBytes;
    scale.push(f);
    const name = fileName(vm.name);
    files.push({ name, bytes: fileBytes });
    const threads = vm.threads.map((ti, local) => threadPlan(ti, local, name, fileBytes, f));
    const workers: IoWorkerPlan[] = [];
    const ctxName = (id: number) => layout.contexts.find((c) => c.id === id)?.name ?? String(id);
    const all = threads.map((t) => t.local);
    let locks = 0;
    switch (vm.mapping) {
      case 'vm':
        workers.push({ ctx: vm.contexts[0], name: ctxName(vm.contexts[0]), serves: all, lock: locks++ });
        break;
      case 'pool': {
        const lock = locks++;
        for (const c of vm.contexts) workers.push({ ctx: c, name: ctxName(c), serves: all, lock });
        break;
      }
      case 'vpid-hash':
        for (const c of vm.contexts) {
          const k = vm.contexts.indexOf(c);
          const serves = threads
            .filter((t) => hashPid(layout.threads[t.index].pid) % vm.contexts.length === k)
            .map((t) => t.local);
          workers.push({ ctx: c, name: ctxName(c), serves, lock: locks++ });
        }
        break;
      case 'vpid':
      case 'vpid-group':
        threads.forEach((t, k) => {
          const c = vm.contexts[k];
          workers.push({ ctx: c, name: ctxName(c), serves: [t.local], lock: locks++ });
        });
        break;
    }
    processes.push({ vm: vm.index, name: vm.name, threads, workers, locks, durationNs });
  }

  const native = layout.threads.filter((t) => t.vm < 0);
  if (native.length > 0) {
    const threads: IoThreadPlan[] = [];
    const workers: IoWorkerPlan[] = [];
    native.forEach((t, local) => {
      const regionBytes = t.regionSectors * SECTOR_BYTES;
      const fileBytes = Math.min(capBytes, Math.max(MIB, Math.ceil(regionBytes / MIB) * MIB));
      const name = fileName(`native-${t.name}`);
      files.push({ name, bytes: fileBytes });
      // the native thread's region is the whole of its own file
      const shifted = { ...t, regionStart: 0 };
      layout.threads[t.index] = shifted;
      threads.push(threadPlan(t.index, local, name, fileBytes, fileBytes / regionBytes));
      layout.threads[t.index] = t;
      const ctx = layout.nativeCtx.get(t.index) ?? 0;
      workers.push({ ctx, name: `native ${t.name}`, serves: [local], lock: local });
    });
    processes.push({ vm: -1, name: 'native', threads, workers, locks: native.length, durationNs });
  }
  return { layout, processes, files, scale };
}
