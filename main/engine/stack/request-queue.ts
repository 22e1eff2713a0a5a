/**
 * A request queue: one scheduler in front of one device. The host uses it in front of the disk;
 * each guest uses one in front of its virtio ring. When the queue is run depends on the block
 * layer the scheduler belongs to:
 *
 * - Single-queue (legacy, request_fn) schedulers (CFQ, AS, deadline and noop of 2.6–4.19): the
 *   queue is run after every insert, every completion (scsi_end_request → scsi_next_command →
 *   scsi_run_queue in 4.19's legacy SCSI path) and every kick, pulling requests while the device
 *   has a free slot.
 * - blk-mq schedulers (`IoScheduler.blkMq`: BFQ and kyber of 6.1), as blk_mq_sched_dispatch_requests
 *   / __blk_mq_do_dispatch_sched (block/blk-mq-sched.c) and the SCSI budget (drivers/scsi/scsi_lib.c)
 *   run them: a run asks the scheduler only while it has work (has_work) and a budget is free
 *   (scsi_mq_get_budget: fewer than queue_depth commands at the device). A run that finds the
 *   device full marks a restart (sdev->restarts), and only then does the next completion re-run the
 *   queue (scsi_end_request → scsi_run_queue_async). A run in which the scheduler returns nothing
 *   while it holds requests re-runs the queue BLK_MQ_BUDGET_DELAY (3 ms) later
 *   (blk_mq_delay_run_hw_queues). Inserts run the queue (blk_mq_sched_insert_request →
 *   blk_mq_run_hw_queue); the scheduler's own kicks (idle timer, bfq_schedule_dispatch) too. So a
 *   queue-depth-1 disk is re-run at nearly every completion (a request waiting for the busy disk
 *   failed its budget), while an NCQ disk is not: its completions re-run nothing by themselves.
 */
import type { Simulator, TimerHandle } from '../core/sim';
import { MS } from '../core/time';
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

/** BLK_MQ_BUDGET_DELAY (block/blk-mq.h): re-run delay after a dispatch round that sent nothing. */
export const BLK_MQ_BUDGET_DELAY = 3 * MS;

export class RequestQueue {
  readonly scheduler: IoScheduler;
  private running = false;
  private again = false;
  private kickPending = false;
  /** blk-mq: hctx->run_work armed with a delay (blk_mq_delay_run_hw_queues). */
  private delayedRun: TimerHandle | null = null;
  /** blk-mq: a budget request failed since the last completion re-run (sdev->restarts). */
  private restarts = false;
  private readonly blkMq: boolean;
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
      clock: sim,
      setTimer: (delay, fn) => sim.after(delay, fn),
      resetTimer: (h, delay) => sim.rearm(h, delay),
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
    this.blkMq = this.scheduler.blkMq === true;
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
    if (!this.blkMq) {
      this.run();
      return;
    }
    // scsi_run_queue_async: re-run (asynchronously) only if a budget request failed meanwhile.
    if (this.restarts) {
      this.restarts = false;
      this.kick();
    }
  }

  /** Run the dispatch loop at the current instant, after the event being processed. */
  kick(): void {
    if (this.kickPending) return;
    // blk-mq: an asynchronous run re-arms hctx->run_work with no delay (kblockd_mod_delayed_work_on).
    if (this.delayedRun) {
      this.sim.cancel(this.delayedRun);
      this.delayedRun = null;
    }
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
      if (this.blkMq) this.runMq();
      else
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

  /** blk_mq_do_dispatch_sched with the SCSI budget: see the module comment. */
  private runMq(): void {
    do {
      this.again = false;
      while (this.scheduler.queued() > 0) {
        if (this.device.inFlight() >= this.device.queueDepth) {
          this.restarts = true; // scsi_mq_get_budget failed: atomic_inc(&sdev->restarts)
          break;
        }
        const rq = this.scheduler.dispatch();
        if (!rq) {
          // __blk_mq_do_dispatch_sched: run_queue with nothing dispatched in this round.
          if (this.delayedRun) this.sim.cancel(this.delayedRun);
          this.delayedRun = this.sim.after(BLK_MQ_BUDGET_DELAY, () => {
            this.delayedRun = null;
            this.run();
          });
          break;
        }
        this.onDispatch?.(rq);
        this.device.submit(rq);
      }
    } while (this.again);
  }
}
