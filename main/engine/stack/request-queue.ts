/**
 * A request queue: one scheduler in front of one device, driven like Linux's single-queue block
 * layer. After every insert, completion and kick it pulls requests from the scheduler while the
 * device has a free slot. The host uses it in front of the disk; each guest uses one in front of
 * its virtio ring.
 */
import type { Simulator } from '../core/sim';
import type { BlockRequest } from '../io/request';
import type { IoScheduler, SchedContextInfo, SchedGroupInfo, SchedTrace, SchedulerEnv } from '../sched/types';

/** What a request queue dispatches into: a disk, or a virtio ring. */
export interface SlotDevice {
  readonly queueDepth: number;
  inFlight(): number;
  submit(rq: BlockRequest): void;
}

export class ContextRegistry {
  private readonly contexts = new Map<number, SchedContextInfo>();
  private readonly groups = new Map<number, SchedGroupInfo>([
    [0, { id: 0, parent: -1, weight: 1000, name: 'root' }],
  ]);

  addContext(info: SchedContextInfo): void {
    this.contexts.set(info.id, info);
  }
  addGroup(info: SchedGroupInfo): void {
    this.groups.set(info.id, info);
  }
  context(id: number): SchedContextInfo {
    const c = this.contexts.get(id);
    if (c) return c;
    const fallback: SchedContextInfo = { id, group: 0, name: `ctx ${id}`, ioprio: 4 };
    this.contexts.set(id, fallback);
    return fallback;
  }
  group(id: number): SchedGroupInfo {
    const g = this.groups.get(id);
    if (!g) throw new Error(`unknown scheduling group ${id}`);
    return g;
  }
  allContexts(): SchedContextInfo[] {
    return [...this.contexts.values()];
  }
  allGroups(): SchedGroupInfo[] {
    return [...this.groups.values()];
  }
}

export interface RequestQueueOptions {
  sim: Simulator;
  device: SlotDevice;
  rotational: boolean;
  registry: ContextRegistry;
  trace: SchedTrace;
  makeScheduler: (env: SchedulerEnv) => IoScheduler;
  /** Called for each request handed to the device, before submit. */
  onDispatch?: (rq: BlockRequest) => void;
}

export class RequestQueue {
  readonly scheduler: IoScheduler;
  private running = false;
  private again = false;
  private kickPending = false;
  private readonly sim: Simulator;
  private readonly device: SlotDevice;
  private readonly onDispatch?: (rq: BlockRequest) => void;

  constructor(opts: RequestQueueOptions) {
    this.sim = opts.sim;
    this.device = opts.device;
    this.onDispatch = opts.onDispatch;
    const sim = opts.sim;
    const env: SchedulerEnv = {
      now: () => sim.now,
      setTimer: (delay, fn) => sim.after(delay, fn),
      cancelTimer: (h) => sim.cancel(h),
      kick: () => this.kick(),
      inFlight: () => opts.device.inFlight(),
      deviceQueueDepth: opts.device.queueDepth,
      rotational: opts.rotational,
      contextInfo: (id) => opts.registry.context(id),
      groupInfo: (id) => opts.registry.group(id),
      trace: opts.trace,
    };
    this.scheduler = opts.makeScheduler(env);
  }

  /** A new request from above. */
  add(rq: BlockRequest): void {
    rq.insertedAt = this.sim.now;
    this.scheduler.insert(rq);
    this.run();
  }

  /** The device finished `rq`. */
  complete(rq: BlockRequest): void {
    this.scheduler.completed(rq);
    this.run();
  }

  /** Run the dispatch loop at the current instant, after the event being processed. */
  kick(): void {
    if (this.kickPending) return;
    this.kickPending = true;
    this.sim.post(0, this.kicked);
  }

  private readonly kicked = (): void => {
    this.kickPending = false;
    this.run();
  };

  /** Pull requests while the device has room. Re-entrant calls are folded into one more pass. */
  run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        while (this.device.inFlight() < this.device.queueDepth) {
          const rq = this.scheduler.dispatch();
          if (!rq) break;
          this.onDispatch?.(rq);
          this.device.submit(rq);
        }
      } while (this.again);
    } finally {
      this.running = false;
    }
  }
}
