/**
 * Where BFQ of Linux 6.1 (the default) and of 5.10 (`linux_5_10`) differ, on the sata-7200 model.
 * bfq_asymmetric_scenario: 6.1 needs more than one group with pending requests, the root group
 * counted (num_groups_with_pending_reqs > 1, block/bfq-iosched.c; "block, bfq: do not idle if only
 * one group is activated", 6.0); 5.10 takes any non-root group with pending requests. Stable
 * merging (bfq_do_or_sched_stable_merge and bfq_setup_cooperator, 5.14+) exists in 6.1 only.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../common/result';
import { parseSpec } from '../../common/spec/validate';
import { MS, SEC } from '../core/time';
import { simulate } from '../simulation';
import { bfqBench } from './bfq-testing';

/** One VM in its own group (vpid-group): two random 4 KiB readers, each its own host queue. */
function oneGroupTwoRandom(scheduler: 'bfq' | 'noop', params: Record<string, number> = {}): RunResult {
  // noop has no groups: the same threads with one host queue each (vpid).
  const reader = (name: string, offset_gb: number) => ({
    name,
    op: 'read',
    pattern: 'random',
    block_kb: 4,
    iodepth: 1,
    offset_gb,
    size_gb: 10,
  });
  return simulate(
    parseSpec({
      name: 'bfq-one-group',
      seed: 1,
      duration_s: 10,
      warmup_s: 1,
      sample_interval_ms: 250,
      disk: { preset: 'sata-7200' },
      host: { scheduler, params },
      vms: [
        {
          name: 'vm',
          mapping: scheduler === 'noop' ? 'vpid' : 'vpid-group',
          image: { offset_gb: 0, size_gb: 100 },
          threads: [reader('a', 0), reader('b', 50)],
        },
      ],
    } as never),
  );
}

describe('bfq: 6.1 against 5.10', () => {
  it('one group alone is symmetric in 6.1 (no idling for seeky queues), asymmetric in 5.10', () => {
    const noop = oneGroupTwoRandom('noop').summary.vms[0].threads;
    const v61 = oneGroupTwoRandom('bfq', { low_latency: 0 }).summary.vms[0].threads;
    const v510 = oneGroupTwoRandom('bfq', { low_latency: 0, linux_5_10: 1 }).summary.vms[0].threads;
    for (let i = 0; i < 2; i++) {
      // 6.1: served a request each in turn, as noop.
      expect(v61[i].latency_ms.p99).toBeLessThan(1.2 * noop[i].latency_ms.p99);
      // 5.10: each queue is idled for (idling_needed_for_service_guarantees) and keeps the disk for
      // its budget timeout, so the other waits: a much longer tail.
      expect(v510[i].latency_ms.p99).toBeGreaterThan(2 * noop[i].latency_ms.p99);
    }
  }, 60_000);

  it('stable merge: 6.1 merges two queues created together with the same weight; 5.10 does not', () => {
    // A sequential and a random reader start together (low_latency 0: equal weights, nothing
    // raised). 6.1 records the random reader's tentative merge into the queue created just before
    // (within bfq_burst_interval, 180 ms) and does it at its first request ≥ 600 ms after creation
    // (bfq_late_stable_merging): idling does not boost its throughput (seeky, hw_tag −1), so the
    // merge goes ahead. The shared queue, mostly sequential, is never seeky enough to be split.
    const run = (over: Record<string, number>) => {
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const { b, bfq } = bfqBench(over);
      b.stream(1, { start: 0, sectors: 64 });
      b.stream(2, { start: 1_000_000, sectors: 8, random, span: 1e8 });
      b.run(3 * SEC);
      return bfq().mergeStats();
    };
    const v61 = run({});
    expect(v61.firstMergeAt).toBeGreaterThanOrEqual(600 * MS);
    expect(v61.firstMergeAt).toBeLessThan(700 * MS);
    expect(v61.sharing(2)).toEqual([1, 2]);
    expect(run({ linux_5_10: 1 }).merges).toBe(0);
    // With low_latency the first queue is weight-raised at its first request, so the second one's
    // weight differs and no stable merge is scheduled.
    expect(run({ low_latency: 1 }).merges).toBe(0);
  });
});
