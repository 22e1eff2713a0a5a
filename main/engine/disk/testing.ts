/**
 * A tiny harness for driving a Disk directly in tests: build BlockRequests, submit them closed-loop
 * and collect (request, ServiceInfo) pairs.
 */
import type { DiskModelSpec } from '../../common/spec/schema';
import { Simulator } from '../core/sim';
import { type BlockRequest, newUnit, type Op } from '../io/request';
import { createDisk } from './index';
import type { Disk, ServiceInfo } from './types';

let nextId = 1;

export function makeRequest(op: Op, sector: number, sectors: number): BlockRequest {
  const id = nextId++;
  const unit = newUnit(id, op, true, sector, sectors, 0, 1, -1, -1);
  unit.hostCtx = 1;
  unit.hostSector = sector;
  return { id, op, sync: true, sector, sectors, ctx: 1, group: 0, insertedAt: 0, units: [unit] };
}

export interface Done {
  rq: BlockRequest;
  info: ServiceInfo;
  submitted: number;
}

export class DiskBench {
  readonly sim = new Simulator();
  readonly disk: Disk;
  readonly done: Done[] = [];
  private readonly submittedAt = new Map<number, number>();

  constructor(spec: DiskModelSpec) {
    this.disk = createDisk(spec, this.sim);
  }

  submit(op: Op, sector: number, sectors: number): BlockRequest {
    const rq = makeRequest(op, sector, sectors);
    this.submittedAt.set(rq.id, this.sim.now);
    this.disk.submit(rq);
    return rq;
  }

  /**
   * Keep `depth` requests outstanding; `next(i)` gives the i-th request (or null to stop).
   * Each new request is submitted at the completion of the previous one (plus `thinkNs`).
   */
  closedLoop(
    depth: number,
    count: number,
    next: (i: number) => { op: Op; sector: number; sectors: number },
  ): Done[] {
    let issued = 0;
    const issue = () => {
      if (issued >= count) return;
      const r = next(issued++);
      this.submit(r.op, r.sector, r.sectors);
    };
    this.disk.onComplete = (rq, info) => {
      // a copy: the disk reuses its service records
      this.done.push({ rq, info: { ...info }, submitted: this.submittedAt.get(rq.id)! });
      this.submittedAt.delete(rq.id);
      issue();
    };
    for (let i = 0; i < depth; i++) issue();
    this.sim.runUntil(Number.MAX_SAFE_INTEGER / 2);
    return this.done;
  }
}

/** Deterministic PRNG for tests (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
