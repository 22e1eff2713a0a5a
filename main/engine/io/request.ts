/**
 * What flows through the stack.
 *
 * An `IoUnit` is one I/O a workload thread issued (fio's "io_u"). It keeps its identity from the
 * guest thread to the disk and back, and carries the timestamps from which the per-layer latency
 * breakdown is computed.
 *
 * A `BlockRequest` is what a block layer (guest or host) queues, sorts, merges and dispatches: a
 * contiguous range of 512-byte sectors carrying one or more units (more than one after a merge).
 * Each layer builds its own BlockRequest for the units it receives, so `sector`, `ctx` and `group`
 * are always in the address space and scheduling namespace of the layer that holds it.
 */

import { timeField } from '../core/time';

export type Op = 'read' | 'write';

/** 512-byte sectors, as the Linux block layer counts. */
export const SECTOR_BYTES = 512;

export interface IoUnit {
  readonly id: number;
  readonly op: Op;
  /** Reads and synchronous (O_DIRECT) writes are sync; buffered writeback is async. */
  readonly sync: boolean;
  /** Start sector in the issuing thread's own address space (guest LBA for VM threads). */
  readonly sector: number;
  readonly sectors: number;
  /** Index of the thread (global across the run) that issued it. */
  readonly thread: number;
  /** Guest PID (VM threads) or host PID (native threads). */
  readonly pid: number;
  /** VM index, or -1 for a native host process. */
  readonly vm: number;
  /** Host context that issued it to the host scheduler (set by Qemu's mapping, or the native pid). */
  hostCtx: number;
  /** Host sector after image mapping (set when it reaches the host). */
  hostSector: number;
  /** Timestamps (ns). -1 until reached. */
  tSubmit: number;
  /** Left the guest block layer into the virtio ring (= tSubmit for native threads). */
  tGuestOut: number;
  /** Issued by Qemu to the host block layer. */
  tHostIn: number;
  /** Dispatched by the host scheduler to the device. */
  tHostOut: number;
  /** Completed by the device. */
  tDone: number;
  /** True when the device served it from its cache. */
  cacheHit: boolean;
  /** The issuing thread's bookkeeping: this I/O's position among its outstanding ones (-1: none). */
  liveSlot: number;
  /** The host submission this I/O is part of while the host block layer holds it. */
  hostSub: HostSubmission | null;
}

/** A request submitted to the host block layer: completes when all of its units have. */
export interface HostSubmission {
  remaining: number;
  readonly done: () => void;
}

/** A new I/O with every field in one order (one object shape for the whole stack). */
export function newUnit(
  id: number,
  op: Op,
  sync: boolean,
  sector: number,
  sectors: number,
  thread: number,
  pid: number,
  vm: number,
  tSubmit: number,
): IoUnit {
  return {
    id,
    op,
    sync,
    sector,
    sectors,
    thread,
    pid,
    vm,
    hostCtx: -1,
    hostSector: -1,
    // Times start as doubles (timeField): see core/time.ts.
    tSubmit: timeField(tSubmit),
    tGuestOut: timeField(-1),
    tHostIn: timeField(-1),
    tHostOut: timeField(-1),
    tDone: timeField(-1),
    cacheHit: false,
    liveSlot: -1,
    hostSub: null,
  };
}

/**
 * Make `u` a new I/O (as `newUnit` builds one): for a thread that reuses the units of its completed
 * I/Os instead of allocating one per request. Only when nothing holds a completed unit any more
 * (no observer keeps them; the stack itself never reads a unit after completing it).
 */
export function reuseUnit(
  u: IoUnit,
  id: number,
  op: Op,
  sync: boolean,
  sector: number,
  sectors: number,
  tSubmit: number,
): IoUnit {
  const m = u as { -readonly [K in keyof IoUnit]: IoUnit[K] };
  m.id = id;
  m.op = op;
  m.sync = sync;
  m.sector = sector;
  m.sectors = sectors;
  m.hostCtx = -1;
  m.hostSector = -1;
  m.tSubmit = tSubmit;
  m.tGuestOut = -1;
  m.tHostIn = -1;
  m.tHostOut = -1;
  m.tDone = -1;
  m.cacheHit = false;
  m.liveSlot = -1;
  m.hostSub = null;
  return u;
}

export interface BlockRequest {
  /** Unique per layer instance. */
  readonly id: number;
  readonly op: Op;
  readonly sync: boolean;
  /** Start sector (512 B) in this layer's address space. */
  sector: number;
  /** Length in 512-byte sectors. */
  sectors: number;
  /** Scheduling context at this layer (a process / io_context as the scheduler sees it). */
  readonly ctx: number;
  /** Scheduling group (cgroup) at this layer; 0 is the root group. */
  readonly group: number;
  /** When it was inserted into this layer's scheduler (ns). */
  insertedAt: number;
  /** The workload I/Os it carries (>= 1; merges append or prepend). */
  readonly units: IoUnit[];
}

/**
 * A new block request of the one shape every layer uses (the guest's, the host's and the native
 * path's requests share V8's hidden class): `units` is its own list.
 */
export function newRequest(
  id: number,
  op: Op,
  sync: boolean,
  sector: number,
  sectors: number,
  ctx: number,
  group: number,
  insertedAt: number,
  units: IoUnit[],
): BlockRequest {
  return { id, op, sync, sector, sectors, ctx, group, insertedAt: timeField(insertedAt), units };
}

/**
 * Make a completed request new (as `newRequest` builds one), for a layer whose scheduler keeps no
 * reference to completed requests (noop, cfq). Returns its unit list, emptied for the caller to fill.
 */
export function reuseRequest(
  rq: BlockRequest,
  id: number,
  op: Op,
  sync: boolean,
  sector: number,
  sectors: number,
  ctx: number,
  group: number,
  insertedAt: number,
): IoUnit[] {
  const m = rq as { -readonly [K in keyof BlockRequest]: BlockRequest[K] };
  m.id = id;
  m.op = op;
  m.sync = sync;
  m.sector = sector;
  m.sectors = sectors;
  m.ctx = ctx;
  m.group = group;
  m.insertedAt = insertedAt;
  const list = m.units;
  while (list.length > 0) list.pop();
  return list;
}

/** End sector (exclusive). */
export const endSector = (rq: { sector: number; sectors: number }): number => rq.sector + rq.sectors;

/**
 * Merge `b` into `a` when they are adjacent, same direction and same sync-ness: a back merge when b
 * starts where a ends, a front merge when b ends where a starts. Returns the kind of merge done or
 * null. Schedulers call this and decide themselves which pairs may merge (CFQ and BFQ only merge
 * within one queue, noop and deadline across processes).
 */
export function tryMerge(a: BlockRequest, b: BlockRequest, maxSectors: number): 'back' | 'front' | null {
  if (a.op !== b.op || a.sync !== b.sync) return null;
  if (a.sectors + b.sectors > maxSectors) return null;
  if (endSector(a) === b.sector) {
    a.sectors += b.sectors;
    a.units.push(...b.units);
    return 'back';
  }
  if (endSector(b) === a.sector) {
    a.sector = b.sector;
    a.sectors += b.sectors;
    a.units.unshift(...b.units);
    return 'front';
  }
  return null;
}

/** Linux's default max_sectors_kb is 512 KiB = 1024 sectors (BLK_DEF_MAX_SECTORS 2560 in 4.x; 512 KiB is the usual soft limit). */
export const DEFAULT_MAX_MERGE_SECTORS = 1024;
