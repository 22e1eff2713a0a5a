/**
 * BFQ's hw_tag (block/bfq-iosched.c, Linux 6.1: bfq_init_queue sets hw_tag = -1; bfq_update_hw_tag
 * samples only while more than BFQ_HW_QUEUE_THRESHOLD (3) requests are in the driver or queued, and
 * decides after BFQ_HW_QUEUE_SAMPLES (32); idling_boosts_thr_without_issues: rot_without_queueing =
 * rotational && !hw_tag). On the sata-7200 model (queue depth 1), through simulate().
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../common/result';
import { parseSpec } from '../../common/spec/validate';
import { SEC } from '../core/time';
import { simulate } from '../simulation';
import { bfqBench } from './bfq-testing';

const randomReader = (name: string, offset_gb: number) => ({
  name,
  op: 'read',
  pattern: 'random',
  block_kb: 4,
  iodepth: 1,
  offset_gb,
  size_gb: 20,
});

function twoRandomReaders(scheduler: 'bfq' | 'noop', params: Record<string, number> = {}): RunResult {
  return simulate(
    parseSpec({
      name: 'bfq-hw-tag',
      seed: 1,
      duration_s: 10,
      warmup_s: 1,
      sample_interval_ms: 250,
      disk: { preset: 'sata-7200' },
      host: { scheduler, params },
      vms: [],
      native: [randomReader('a', 0), randomReader('b', 200)],
    } as never),
  );
}

/** Deterministic LCG in [0, 1). */
const lcg = (seed: number) => {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
};

describe('bfq hw_tag (6.1)', () => {
  it('stays −1 with ≤ 3 requests outstanding on any device; a heavy load decides it by the depth seen', () => {
    const light = bfqBench({}, { queueDepth: 1 });
    light.b.stream(1, { start: 0, sectors: 8, random: lcg(1), span: 1e8 });
    light.b.stream(2, { start: 2e8, sectors: 8, random: lcg(2), span: 1e8 });
    light.b.run(2 * SEC);
    expect(light.bfq().hwTag()).toBe(-1);
    // Eight random requests outstanding: sampled; the depth-1 disk never holds more than one.
    for (const [depth, expected] of [
      [1, 0],
      [32, 1],
    ]) {
      const heavy = bfqBench({}, { queueDepth: depth });
      heavy.b.stream(1, { start: 0, sectors: 8, depth: 8, random: lcg(3), span: 1e8 });
      heavy.b.run(2 * SEC);
      expect(heavy.bfq().hwTag()).toBe(expected);
    }
  });

  it('two random readers (low_latency 0) on a depth-1 disk alternate per request, as without idling', () => {
    // hw_tag −1 → rot_without_queueing false → idling does not boost throughput for seeky queues,
    // and equal weights need no idling for guarantees: BFQ serves one request of each in turn and
    // the tail latency is noop's. (With hw_tag 0 from the start the model idled for each seeky
    // queue: p99 ≈ 146 ms against noop's ≈ 38 ms.)
    const noop = twoRandomReaders('noop');
    const bfq = twoRandomReaders('bfq', { low_latency: 0 });
    for (let i = 0; i < 2; i++) {
      expect(bfq.summary.native[i].latency_ms.p99).toBeLessThan(1.2 * noop.summary.native[i].latency_ms.p99);
      expect(bfq.summary.native[i].latency_ms.p99).toBeGreaterThan(
        0.8 * noop.summary.native[i].latency_ms.p99,
      );
    }
  }, 60_000);
});
