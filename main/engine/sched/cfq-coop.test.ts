/**
 * CFQ close cooperators (Linux 4.19 cfq_close_cooperator / cfq_setup_merge / cfq_merge_cfqqs /
 * split_cfqq) on the scheduler bench: 0.5 ms for a request that starts where the previous one
 * ended, 8 ms otherwise, plus 10 µs per sector; queue depth 1.
 *
 * The interleaved workload is what the mechanism was written for (NFS server threads, dump(8),
 * Qemu's aio thread pool): several processes take turns issuing consecutive pieces of one sequential
 * stream, each process's own requests being sequential with gaps. Expectations from the algorithm:
 *  - when the active queue empties, another queue's next request starts exactly at last_position,
 *    so no idle timer is armed and select_queue hands the disk to that queue (step 6) and sets up a
 *    merge; at their next allocation the processes move to one shared (coop) queue;
 *  - the shared queue holds the stream's outstanding pieces (adjacent ones even merge into one
 *    request) and dispatches them in sector order, so the disk streams like one sequential reader.
 *    Without cooperators (measured on the model before the mechanism existed) the pool-like
 *    workload below reached 30 MB/s against one reader's 42.6: the active process continues the
 *    stream alone through its slice, and every slice switch seeks back to the pieces the other
 *    processes left behind; with cooperators it reaches 41.3 MB/s. In strict round robin (piece i
 *    always from process i mod 4) 7.0 MB/s before, 11.1 MB/s now: a queue shared by two processes
 *    always holds one of their requests, so it never empties and the pairs never merge further;
 *  - streams more than CFQQ_CLOSE_THR (8192 sectors) apart never cooperate;
 *  - a shared queue found SEEKY at slice expiry is split at the next allocation of each process.
 */
import { describe, expect, it } from 'vitest';
import type { SpecInput } from '../../common/spec/schema';
import { resolveTunables } from '../../common/spec/tunables';
import { parseSpec } from '../../common/spec/validate';
import { MS, SEC } from '../core/time';
import type { BlockRequest } from '../io/request';
import { simulate } from '../simulation';
import { type CfqScheduler, createCfq } from './cfq/index';
import { SchedBench } from './testing';

const PIECE = 128; // 64 KiB

function cfqBench(): { b: SchedBench; cfq: () => CfqScheduler } {
  let sched: CfqScheduler | null = null;
  const b = new SchedBench((env) => {
    sched = createCfq(env, resolveTunables('cfq', {}));
    return sched;
  });
  return { b, cfq: () => sched as unknown as CfqScheduler };
}

/**
 * `n` contexts (ids 1..n), each with one request outstanding, take turns on one sequential stream
 * from `start`: a context whose request completes issues the next unissued piece (as a pool worker
 * takes the next guest request), or with `roundRobin` piece i always comes from context 1 + i mod n
 * (each context's own pieces n apart). A request built
 * from several contexts' pieces (merged in a shared queue) lets each of them issue again. From
 * `seekyAt` on, each context reads random pieces of its own far-away region instead.
 */
function interleaved(
  b: SchedBench,
  n: number,
  start: number,
  seekyAt = Number.POSITIVE_INFINITY,
  roundRobin = false,
): void {
  let next = start;
  const own = new Map<number, number>();
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const issue = (ctx: number) => {
    let sector: number;
    if (b.sim.now >= seekyAt) sector = 50_000_000 * ctx + Math.floor(rand() * 100_000) * PIECE;
    else if (roundRobin) {
      sector = own.get(ctx) ?? start + (ctx - 1) * PIECE;
      own.set(ctx, sector + n * PIECE);
    } else {
      sector = next;
      next += PIECE;
    }
    b.submit(b.request(ctx, sector, PIECE));
  };
  b.onComplete = (rq: BlockRequest) => {
    for (const u of rq.units) issue(u.thread);
  };
  b.sim.at(0, () => {
    for (let c = 1; c <= n; c++) issue(c);
  });
}

/** `n` contexts each reading its own sequential stream, `gap` sectors apart, depth 1. */
function disjoint(b: SchedBench, n: number, gap: number): void {
  for (let c = 1; c <= n; c++) b.stream(c, { start: 1_000_000 + c * gap, sectors: PIECE });
}

const total = (b: SchedBench) => [...b.sectorsByCtx().values()].reduce((a, v) => a + v, 0);

describe('cfq close cooperators', () => {
  it('interleaved readers of one stream are merged into one queue and stream like one reader', () => {
    const { b, cfq } = cfqBench();
    interleaved(b, 4, 1_000_000);
    b.run(2 * SEC);
    const s = cfq();
    const st = s.coopStats();
    expect(st.cooperatorSwitches).toBeGreaterThan(0);
    expect(st.mergesScheduled).toBeGreaterThanOrEqual(3);
    expect(st.merges).toBeGreaterThanOrEqual(3);
    const views = [1, 2, 3, 4].map((c) => s.inspect(c));
    for (const v of views) {
      expect(v?.coop).toBe(true);
      expect(v?.queueId).toBe(views[0]?.queueId);
      expect(v?.mergedWith).toEqual([1, 2, 3, 4]);
      expect(v?.seeky).toBe(false);
    }

    // One sequential reader with the same number of requests outstanding.
    const one = cfqBench().b;
    one.stream(1, { start: 1_000_000, sectors: PIECE, depth: 4 });
    one.run(2 * SEC);
    expect(total(b)).toBeGreaterThan(0.8 * total(one));

    // Every context keeps progressing.
    for (const c of [1, 2, 3, 4]) expect(b.sectorsByCtx().get(c) ?? 0).toBeGreaterThan(0);
  });

  it('an idle-class process is never a cooperator nor looks for one (cfq_prio_tree_add, cfq_close_cooperator)', () => {
    const { b, cfq } = cfqBench();
    // best-effort level 7 shares its prio tree index with the idle class's level 7 in the model
    for (const id of [1, 2, 3])
      b.registry.addContext({ id, group: 0, name: `ctx${id}`, ioprio: 7, ioprioClass: 'be' });
    b.registry.addContext({ id: 4, group: 0, name: 'ctx4', ioprio: 7, ioprioClass: 'idle' });
    interleaved(b, 4, 1_000_000);
    b.run(2 * SEC);
    const s = cfq();
    // the three best-effort processes share one queue; the idle-class one keeps its own
    const be = [1, 2, 3].map((c) => s.inspect(c));
    for (const v of be) expect(v?.queueId).toBe(be[0]?.queueId);
    expect(be[0]?.mergedWith).toEqual([1, 2, 3]);
    expect(s.inspect(4)?.queueId).not.toBe(be[0]?.queueId);
    expect(s.inspect(4)?.mergedWith).toEqual([4]);
    expect(s.inspect(4)?.coop).toBe(false);
  });

  it('strict round robin: processes pair up in shared queues and fewer requests seek', () => {
    const { b, cfq } = cfqBench();
    interleaved(b, 4, 1_000_000, Number.POSITIVE_INFINITY, true);
    b.run(2 * SEC);
    const s = cfq();
    expect(s.coopStats().merges).toBeGreaterThanOrEqual(2);
    const shared = [1, 2, 3, 4].filter((c) => (s.inspect(c)?.mergedWith.length ?? 0) > 1);
    expect(shared.length).toBeGreaterThanOrEqual(2);
    // Every request seeking: 8 ms + 1.28 ms per 64 KiB piece.
    const seekBound = ((2 * SEC) / (8 * MS + PIECE * 10_000)) * PIECE;
    expect(total(b)).toBeGreaterThan(1.4 * seekBound);
  });

  it('the disk follows the stream: after the merge nearly every request is contiguous', () => {
    const { b } = cfqBench();
    interleaved(b, 4, 1_000_000);
    b.run(2 * SEC);
    const late = b.dispatched.filter((d) => d.t > 0.5 * SEC);
    let contiguous = 0;
    for (let i = 1; i < late.length; i++)
      if (late[i].rq.sector === late[i - 1].rq.sector + late[i - 1].rq.sectors) contiguous++;
    expect(contiguous / (late.length - 1)).toBeGreaterThan(0.95);
  });

  it('disjoint sequential streams more than 8192 sectors apart never cooperate', () => {
    const { b, cfq } = cfqBench();
    disjoint(b, 4, 1_000_000);
    b.run(3 * SEC);
    const st = cfq().coopStats();
    expect(st).toEqual({ cooperatorSwitches: 0, mergesScheduled: 0, merges: 0, splits: 0 });
    const ids = new Set([1, 2, 3, 4].map((c) => cfq().inspect(c)?.queueId));
    expect(ids.size).toBe(4);
    for (const c of [1, 2, 3, 4]) {
      expect(cfq().inspect(c)?.coop).toBe(false);
      expect(cfq().inspect(c)?.mergedWith).toEqual([c]);
      expect(cfq().inspect(c)?.idleWindow).toBe(true);
    }
    // The usual time slicing: each reader streams through its slice (~100 ms runs, low_latency
    // with 4 queues: 300/4 = 75 ms), so nearly every dispatch is contiguous.
    let contiguous = 0;
    const d = b.dispatched;
    for (let i = 1; i < d.length; i++)
      if (d[i].rq.sector === d[i - 1].rq.sector + d[i - 1].rq.sectors) contiguous++;
    expect(contiguous / (d.length - 1)).toBeGreaterThan(0.9);
  });

  it('a merged queue whose traffic turns seeky is split at the next allocation after an expiry', () => {
    const { b, cfq } = cfqBench();
    interleaved(b, 4, 1_000_000, 1 * SEC);
    b.run(1 * SEC);
    const before = [1, 2, 3, 4].map((c) => cfq().inspect(c));
    expect(new Set(before.map((v) => v?.queueId)).size).toBe(1);
    expect(before[0]?.coop).toBe(true);

    b.run(3 * SEC);
    const st = cfq().coopStats();
    // Three processes get a new queue; the last one keeps the old queue (split_cfqq with one
    // process reference clears coop instead).
    expect(st.splits).toBeGreaterThanOrEqual(4);
    const after = [1, 2, 3, 4].map((c) => cfq().inspect(c));
    expect(new Set(after.map((v) => v?.queueId)).size).toBe(4);
    for (const [i, v] of after.entries()) {
      expect(v?.coop).toBe(false);
      expect(v?.mergedWith).toEqual([i + 1]);
      expect(v?.seeky).toBe(true);
    }
    // One of them kept the shared queue.
    expect(after.some((v) => v?.queueId === before[0]?.queueId)).toBe(true);
  });

  it('is deterministic', () => {
    const trace = () => {
      const { b, cfq } = cfqBench();
      interleaved(b, 4, 1_000_000, 0.7 * SEC);
      b.run(1.5 * SEC);
      return {
        d: b.dispatched.map((x) => `${x.t}:${x.rq.ctx}:${x.rq.sector}:${x.rq.sectors}`).join(','),
        s: cfq().coopStats(),
      };
    };
    expect(trace()).toEqual(trace());
  });
});

describe('cfq close cooperators in the full stack (sata-7200, Qemu pool mapping)', () => {
  // One guest sequential reader (iodepth 4) whose requests Qemu hands to free pool workers at random,
  // beside a second VM's sequential reader 100 GB away. The workers' queues hold interleaved pieces
  // of one stream, so they are merged into one shared queue and the pool VM competes as one queue:
  // about half the disk time each, as with the vm mapping. (Before the mechanism: 8 worker queues
  // against 1, qemu-A 76 % of the disk time, 71.5 MB/s in total against 97 with the vm mapping.)
  const spec = (mapping: 'vm' | 'pool'): SpecInput =>
    ({
      name: 'pool-coop',
      seed: 1,
      duration_s: 10,
      warmup_s: 2,
      sample_interval_ms: 250,
      disk: { preset: 'sata-7200' },
      host: { scheduler: 'cfq', params: {} },
      vms: [
        {
          name: 'qemu-A',
          mapping,
          pool_threads: 8,
          image: { offset_gb: 0, size_gb: 40 },
          threads: [
            { name: 'reader', op: 'read', pattern: 'sequential', block_kb: 64, iodepth: 4, size_gb: 2 },
          ],
        },
        {
          name: 'qemu-B',
          mapping: 'vm',
          image: { offset_gb: 100, size_gb: 40 },
          threads: [
            { name: 'reader', op: 'read', pattern: 'sequential', block_kb: 64, iodepth: 1, size_gb: 2 },
          ],
        },
      ],
    }) as SpecInput;
  it('a pool VM gets its fair half of the disk time and the disk keeps streaming', () => {
    const vm = simulate(parseSpec(spec('vm'))).summary;
    const pool = simulate(parseSpec(spec('pool'))).summary;
    expect(pool.fairness.disk_time_share['qemu-A']).toBeGreaterThan(0.4);
    expect(pool.fairness.disk_time_share['qemu-A']).toBeLessThan(0.6);
    expect(pool.total.mbps).toBeGreaterThan(0.9 * vm.total.mbps);
  });
});
