/**
 * CFQ's hw_tag (block/cfq-iosched.c, Linux 4.19: cfq_init_queue sets hw_tag = -1; cfq_update_hw_tag
 * samples only while more than CFQ_HW_QUEUE_MIN (5) requests are queued or in the driver, and
 * decides after 50 samples; iops_mode() = !slice_idle && hw_tag). On the sata-7200 model (queue
 * depth 1), through simulate().
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../common/result';
import { resolveTunables } from '../../common/spec/tunables';
import { parseSpec } from '../../common/spec/validate';
import { SEC } from '../core/time';
import { simulate } from '../simulation';
import { createCfq } from './cfq/index';
import { SchedBench } from './testing';

/** Two VMs in their own groups (vpid-group) at equal weight: a sequential and a random reader. */
function seqBesideRandom(params: Record<string, number>): RunResult {
  return simulate(
    parseSpec({
      name: 'cfq-hw-tag',
      seed: 1,
      duration_s: 10,
      warmup_s: 1,
      sample_interval_ms: 250,
      disk: { preset: 'sata-7200' },
      host: { scheduler: 'cfq', params },
      vms: [
        {
          name: 'seq',
          mapping: 'vpid-group',
          image: { offset_gb: 0, size_gb: 40 },
          threads: [{ name: 's', op: 'read', pattern: 'sequential', block_kb: 64, iodepth: 1, size_gb: 4 }],
        },
        {
          name: 'rand',
          mapping: 'vpid-group',
          image: { offset_gb: 100, size_gb: 40 },
          threads: [{ name: 'r', op: 'read', pattern: 'random', block_kb: 4, iodepth: 1, size_gb: 20 }],
        },
      ],
    } as never),
  );
}

describe('cfq hw_tag (4.19)', () => {
  const bench = () => new SchedBench((env) => createCfq(env, resolveTunables('cfq', {})), { queueDepth: 1 });
  const hwTag = (b: SchedBench) => (b.queue.scheduler as ReturnType<typeof createCfq>).hwTag();

  it('stays −1 (counted as true) under a light load on a depth-1 disk, becomes 0 under a heavy one', () => {
    // Two readers never put more than CFQ_HW_QUEUE_MIN requests in the scheduler: no sample.
    const light = bench();
    light.stream(1, { start: 0, sectors: 128 });
    light.stream(2, { start: 5e7, sectors: 128 });
    light.run(2 * SEC);
    expect(hwTag(light)).toBe(-1);
    // A random reader keeping eight requests outstanding (random, so that none merge): > 5 queued (and the active queue holds ≥ 5, so
    // its idle window does not veto the sample), 50 samples, estimated depth 1 < 5 → 0.
    const heavy = bench();
    let seed = 1;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    heavy.stream(1, { start: 0, sectors: 8, depth: 8, random, span: 1e8 });
    heavy.run(2 * SEC);
    expect(hwTag(heavy)).toBe(0);
  });

  it('slice_idle 0 under light load is IOPS mode: groups are charged per request, the random VM gets the disk', () => {
    // iops_mode(): cfq_group_served charges slice_dispatch instead of time, so equal weights give
    // equal request counts, and the random reader's slow requests take most of the disk time.
    // (With hw_tag starting at 0 the model was time-based: ≈ 50/50.)
    const r = seqBesideRandom({ slice_idle_ms: 0 });
    const [seq, rand] = r.summary.vms;
    expect(rand.disk_time_share).toBeGreaterThan(0.8);
    expect(seq.disk_time_share).toBeLessThan(0.2);
    // With idling on, CFQ is time-based and the two groups share the disk time about equally.
    const idle = seqBesideRandom({});
    expect(idle.summary.vms[1].disk_time_share).toBeGreaterThan(0.4);
    expect(idle.summary.vms[1].disk_time_share).toBeLessThan(0.6);
  }, 60_000);
});
