/**
 * Test bench for schedulers in isolation: a request queue in front of a device whose service time
 * is a function of the request and the previous head position. Used by the schedulers' unit tests;
 * behaviour tests that need real disk mechanics use `simulate()` with a disk preset instead.
 */
import { Simulator } from '../core/sim';
import { MS } from '../core/time';
import { type BlockRequest, endSector, newUnit, type Op } from '../io/request';
import { ContextRegistry, RequestQueue, type SlotDevice } from '../stack/request-queue';
import type { IoScheduler, SchedTrace, SchedulerEnv } from './types';

export interface BenchTraceEvent {
  t: number;
  kind: 'service' | 'idleStart' | 'idleEnd';
  ctx: number;
  paidOff?: boolean;
}

export interface BenchOptions {
  queueDepth?: number;
  rotational?: boolean;
  /** Service time (ns) from the head position (end sector of the previous request) and the request. */
  serviceNs?: (headSector: number, rq: BlockRequest) => number;
  groups?: { id: number; weight: number; parent?: number }[];
  contexts?: { id: number; group?: number; ioprio?: number }[];
}

/** A simple seek-sensitive device: 0.5 ms for a contiguous request, 8 ms otherwise, plus 10 µs/sector. */
export const simpleService = (head: number, rq: BlockRequest): number =>
  (rq.sector === head ? 0.5 * MS : 8 * MS) + rq.sectors * 10_000;

export class SchedBench {
  readonly sim = new Simulator();
  readonly registry = new ContextRegistry();
  readonly queue: RequestQueue;
  readonly events: BenchTraceEvent[] = [];
  readonly completed: { rq: BlockRequest; t: number }[] = [];
  readonly dispatched: { rq: BlockRequest; t: number }[] = [];
  private inflight = 0;
  private head = 0;
  private nextId = 1;
  private busyUntil = 0;
  /** Callbacks per completed request (closed-loop generators). */
  onComplete: ((rq: BlockRequest) => void) | null = null;

  constructor(make: (env: SchedulerEnv) => IoScheduler, opts: BenchOptions = {}) {
    const depth = opts.queueDepth ?? 1;
    const serviceNs = opts.serviceNs ?? simpleService;
    for (const g of opts.groups ?? [])
      this.registry.addGroup({ id: g.id, weight: g.weight, parent: g.parent ?? 0, name: `g${g.id}` });
    for (const c of opts.contexts ?? [])
      this.registry.addContext({ id: c.id, group: c.group ?? 0, ioprio: c.ioprio ?? 4, name: `ctx${c.id}` });
    const trace: SchedTrace = {
      serviceStart: (ctx) => this.events.push({ t: this.sim.now, kind: 'service', ctx }),
      idleStart: (ctx) => this.events.push({ t: this.sim.now, kind: 'idleStart', ctx }),
      idleEnd: (ctx, paidOff) => this.events.push({ t: this.sim.now, kind: 'idleEnd', ctx, paidOff }),
    };
    const device: SlotDevice = {
      queueDepth: depth,
      inFlight: () => this.inflight,
      submit: (rq) => {
        this.inflight++;
        this.dispatched.push({ rq, t: this.sim.now });
        const start = Math.max(this.sim.now, this.busyUntil);
        const done = start + serviceNs(this.head, rq);
        this.head = endSector(rq);
        this.busyUntil = done;
        this.sim.at(done, () => {
          this.inflight--;
          this.completed.push({ rq, t: this.sim.now });
          this.queue.complete(rq);
          this.onComplete?.(rq);
        });
      },
    };
    this.queue = new RequestQueue({
      sim: this.sim,
      device,
      rotational: opts.rotational ?? true,
      registry: this.registry,
      trace,
      makeScheduler: make,
    });
  }

  /** Build a request for context `ctx` (group from the registry). */
  request(ctx: number, sector: number, sectors: number, op: Op = 'read', sync = op === 'read'): BlockRequest {
    const id = this.nextId++;
    const now = this.sim.now;
    const unit = newUnit(id, op, sync, sector, sectors, ctx, ctx, -1, now);
    unit.hostCtx = ctx;
    unit.hostSector = sector;
    unit.tGuestOut = now;
    unit.tHostIn = now;
    return {
      id,
      op,
      sync,
      sector,
      sectors,
      ctx,
      group: this.registry.context(ctx).group,
      insertedAt: this.sim.now,
      units: [unit],
    };
  }

  submit(rq: BlockRequest): void {
    this.queue.add(rq);
  }

  /**
   * A closed-loop stream: context `ctx` keeps `depth` requests outstanding, each `sectors` long,
   * sequential from `start` (or random within [start, start+span) when `random`), waiting `thinkNs`
   * between a completion and the next submit.
   */
  stream(
    ctx: number,
    o: {
      start: number;
      sectors: number;
      depth?: number;
      thinkNs?: number;
      random?: () => number;
      span?: number;
      op?: Op;
      sync?: boolean;
    },
  ): void {
    let next = o.start;
    const issue = () => {
      const sector = o.random
        ? o.start + Math.floor(o.random() * ((o.span ?? 1e7) / o.sectors)) * o.sectors
        : next;
      next = sector + o.sectors;
      this.submit(
        this.request(ctx, sector, o.sectors, o.op ?? 'read', o.sync ?? (o.op ?? 'read') === 'read'),
      );
    };
    const prev = this.onComplete;
    this.onComplete = (rq) => {
      prev?.(rq);
      if (rq.ctx === ctx) {
        for (let i = 0; i < rq.units.length; i++) {
          if (o.thinkNs) this.sim.after(o.thinkNs, issue);
          else issue();
        }
      }
    };
    this.sim.at(this.sim.now, () => {
      for (let i = 0; i < (o.depth ?? 1); i++) issue();
    });
  }

  run(untilNs: number): void {
    this.sim.runUntil(untilNs);
  }

  /** Sectors completed per context. */
  sectorsByCtx(): Map<number, number> {
    const m = new Map<number, number>();
    for (const { rq } of this.completed) m.set(rq.ctx, (m.get(rq.ctx) ?? 0) + rq.sectors);
    return m;
  }
}
