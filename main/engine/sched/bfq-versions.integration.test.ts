/**
 * Where BFQ of Linux 6.1 (the default) and of 5.10 (`linux_5_10`) differ, on the sata-7200 model.
 * bfq_asymmetric_scenario: 6.1 needs more than one group with pending requests, the root group
 * counted (num_groups_with_pending_reqs > 1, block/bfq-iosched.c; "block, bfq: do not idle if only
 * one group is activated", 6.0); 5.10 takes any non-root group with pending requests.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../common/result';
import { parseSpec } from '../../common/spec/validate';
import { simulate } from '../simulation';

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
});
