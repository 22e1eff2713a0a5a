/**
 * kyber (block/kyber-iosched.c, Linux 6.1): a blk-mq scheduler that throttles the device queue by
 * latency. Follows kyber_sched_domain, kyber_insert_requests / kyber_bio_merge (insert),
 * kyber_dispatch_request / kyber_dispatch_cur_domain / kyber_get_domain_token (dispatch),
 * kyber_finish_request (token release), kyber_completed_request / add_latency_sample (latency
 * histograms), kyber_timer_fn / calculate_percentile / kyber_resize_domain (depth adjustment).
 *
 * - Requests go to one of the scheduling domains (reads, writes; discards and "other" requests do
 *   not exist in the lab), each a FIFO.
 * - Dispatching a request takes a token of its domain; a domain has at most `depth` tokens, 256 for
 *   reads and 128 for writes to begin with (kyber_depth). Without a token the domain waits, and a
 *   released token re-runs the queue (kyber_domain_wake).
 * - Domains are served round-robin in batches of up to 16 reads or 8 writes (kyber_batch_size).
 * - Completions are sorted into 8 latency buckets per domain and kind (I/O latency: dispatch to
 *   completion; total latency: insert to completion) of a quarter of the domain's target each
 *   (read_lat 2 ms, write_lat 10 ms). A timer 100 ms after a completion takes each domain's
 *   percentiles once it has 500 samples or its first sample is 1 s old: if any domain's p90 I/O
 *   latency is over its target, the device is congested and every domain whose p99 total latency
 *   is known is resized to depth·(bucket + 1)/4 (so a domain within its target is throttled), and
 *   a domain over its target is widened the same way in any case; depths stay in [1, kyber_depth].
 */
import type { TimerHandle } from '../core/sim';
import { MS, SEC } from '../core/time';
import { type BlockRequest, DEFAULT_MAX_MERGE_SECTORS, tryMerge } from '../io/request';
import type { IoScheduler, SchedulerEnv } from './types';

const READ = 0;
const WRITE = 1;
const DOMAINS = 2; // KYBER_READ, KYBER_WRITE (KYBER_DISCARD and KYBER_OTHER carry no lab requests)
type Domain = 0 | 1;
const DOMAIN_NAMES = ['read', 'write'] as const;
/** kyber_depth: the initial and largest token depth of each domain. */
const KYBER_DEPTH = [256, 128];
/** kyber_batch_size. */
const BATCH_SIZE = [16, 8];
const LATENCY_SHIFT = 2; // KYBER_LATENCY_SHIFT
const GOOD_BUCKETS = 1 << LATENCY_SHIFT; // KYBER_GOOD_BUCKETS = 4
const BUCKETS = 2 << LATENCY_SHIFT; // KYBER_LATENCY_BUCKETS = 8
const TIMER_PERIOD = 100 * MS; // HZ / 10
const MIN_SAMPLES = 500;
const SAMPLE_TIMEOUT = SEC;
const IO = 0; // KYBER_IO_LATENCY
const TOTAL = 1; // KYBER_TOTAL_LATENCY

/** Diagnostics (not part of the kernel). */
export interface KyberScheduler extends IoScheduler {
  /** Current token depth of a domain ('read' | 'write'). */
  depth(domain: 'read' | 'write'): number;
  /** Every depth change made by kyber_timer_fn: time (ns), domain, new depth. */
  resizes(): readonly { t: number; domain: 'read' | 'write'; depth: number }[];
}

const domainOf = (rq: BlockRequest): Domain => (rq.op === 'read' ? READ : WRITE);

export function createKyber(env: SchedulerEnv, params: Record<string, number>): KyberScheduler {
  const target = [(params.read_lat_ms ?? 2) * MS, (params.write_lat_ms ?? 10) * MS];
  const queues: BlockRequest[][] = [[], []];
  const depth = [...KYBER_DEPTH];
  const tokens = [0, 0]; // in use
  let curDomain: Domain = READ;
  let batching = 0;
  let waiting = false; // a token request failed: the next release re-runs the queue
  const counts = new Map<number, number>();
  let total = 0;
  const dispatchedAt = new Map<BlockRequest, number>();
  // latency_buckets[domain][IO | TOTAL][bucket], latency_timeout, domain_p99.
  const buckets = [0, 1].map(() => [new Array(BUCKETS).fill(0), new Array(BUCKETS).fill(0)]);
  const latencyTimeout = [0, 0];
  const domainP99 = [-1, -1];
  let timer: TimerHandle | null = null;
  const resizeLog: { t: number; domain: 'read' | 'write'; depth: number }[] = [];
  let lastService = -2;

  const addSample = (d: Domain, type: number, latency: number) => {
    const divisor = Math.max(Math.floor(target[d] / GOOD_BUCKETS), 1);
    const bucket = Math.min(Math.floor((latency - 1) / divisor), BUCKETS - 1);
    buckets[d][type][Math.max(0, bucket)]++;
  };

  /** calculate_percentile: the bucket holding the percentile, or −1 without enough samples. */
  const percentile = (d: Domain, type: number, pct: number): number => {
    const b = buckets[d][type];
    let samples = 0;
    for (const n of b) samples += n;
    if (samples === 0) return -1;
    const now = env.now();
    if (latencyTimeout[d] === 0) latencyTimeout[d] = now + SAMPLE_TIMEOUT;
    if (samples < MIN_SAMPLES && now < latencyTimeout[d]) return -1;
    latencyTimeout[d] = 0;
    let left = Math.ceil((samples * pct) / 100);
    let bucket = 0;
    for (; bucket < BUCKETS - 1; bucket++) {
      if (b[bucket] >= left) break;
      left -= b[bucket];
    }
    b.fill(0);
    return bucket;
  };

  /** kyber_timer_fn. */
  const onTimer = () => {
    timer = null;
    let bad = false;
    for (let d = 0; d < DOMAINS; d++) if (percentile(d as Domain, IO, 90) >= GOOD_BUCKETS) bad = true;
    for (let d = 0; d < DOMAINS; d++) {
      let p99 = percentile(d as Domain, TOTAL, 99);
      if (bad) {
        if (p99 < 0) p99 = domainP99[d];
        domainP99[d] = -1;
      } else if (p99 >= 0) domainP99[d] = p99;
      if (p99 < 0) continue;
      if (bad || p99 >= GOOD_BUCKETS) {
        // kyber_resize_domain: scaled by (p99 bucket + 1)/4, clamped to [1, kyber_depth].
        const next = Math.min(Math.max((depth[d] * (p99 + 1)) >> LATENCY_SHIFT, 1), KYBER_DEPTH[d]);
        if (next !== depth[d]) {
          depth[d] = next;
          resizeLog.push({ t: env.now(), domain: DOMAIN_NAMES[d], depth: next });
          if (waiting) env.kick(); // a deeper domain may have tokens for a waiting request
        }
      }
    }
  };

  /** kyber_dispatch_cur_domain: the head of the current domain, if it gets a token. */
  const dispatchCur = (): BlockRequest | null => {
    const q = queues[curDomain];
    if (q.length === 0) return null;
    if (tokens[curDomain] >= depth[curDomain]) {
      waiting = true; // kyber_get_domain_token: wait for a token (sbitmap wait queue)
      return null;
    }
    tokens[curDomain]++;
    batching++;
    return q.shift() as BlockRequest;
  };

  return {
    name: 'kyber',
    blkMq: true,
    insert(rq) {
      // kyber_bio_merge / blk_bio_list_merge: merge into a queued request of the same domain.
      const q = queues[domainOf(rq)];
      for (let i = q.length - 1; i >= 0 && i >= q.length - 8; i--)
        if (tryMerge(q[i], rq, DEFAULT_MAX_MERGE_SECTORS)) return;
      rq.insertedAt = env.now();
      q.push(rq);
      total++;
      counts.set(rq.ctx, (counts.get(rq.ctx) ?? 0) + 1);
    },
    dispatch() {
      let rq: BlockRequest | null = null;
      if (batching < BATCH_SIZE[curDomain]) rq = dispatchCur();
      if (!rq) {
        batching = 0;
        for (let i = 0; i < DOMAINS && !rq; i++) {
          curDomain = (curDomain === DOMAINS - 1 ? 0 : curDomain + 1) as Domain;
          rq = dispatchCur();
        }
      }
      if (!rq) return null;
      total--;
      const c = (counts.get(rq.ctx) ?? 1) - 1;
      if (c === 0) counts.delete(rq.ctx);
      else counts.set(rq.ctx, c);
      dispatchedAt.set(rq, env.now());
      if (rq.ctx !== lastService) {
        lastService = rq.ctx;
        env.trace.serviceStart(rq.ctx);
      }
      return rq;
    },
    completed(rq) {
      const at = dispatchedAt.get(rq);
      if (at === undefined) return;
      dispatchedAt.delete(rq);
      const now = env.now();
      const d = domainOf(rq);
      // kyber_completed_request, then kyber_finish_request releases the token.
      addSample(d, TOTAL, now - rq.insertedAt);
      addSample(d, IO, now - at);
      if (!timer) timer = env.setTimer(TIMER_PERIOD, onTimer); // timer_reduce(jiffies + HZ / 10)
      tokens[d]--;
      if (waiting) {
        waiting = false;
        env.kick(); // kyber_domain_wake → blk_mq_run_hw_queue
      }
    },
    queued() {
      return total;
    },
    queueLengths() {
      return counts;
    },
    depth(domain) {
      return depth[domain === 'read' ? READ : WRITE];
    },
    resizes() {
      return resizeLog;
    },
  };
}
