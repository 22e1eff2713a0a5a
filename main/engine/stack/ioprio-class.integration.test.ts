/**
 * The virtual PID carries the I/O priority: a guest thread running with ioprio_class idle next to a
 * normal (best-effort) one, host CFQ on the sata-7200 model, guest noop. With `vpid` each guest
 * thread has its own host context with the thread's class, so the idle-class thread only gets the
 * disk when the other has nothing queued (one request per ~100 ms slice of the other); with `vm`
 * Qemu issues both threads' requests from its one context (Qemu's own best-effort 4, the guest's
 * class does not reach the host) and the two share the disk.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../common/result';
import { parseSpec } from '../../common/spec/validate';
import { simulate } from '../simulation';

function run(mapping: 'vm' | 'vpid', scheduler: 'cfq' | 'bfq' = 'cfq'): RunResult {
  return simulate(
    parseSpec({
      name: 'ioprio-class',
      seed: 1,
      duration_s: 4,
      warmup_s: 0.5,
      sample_interval_ms: 250,
      disk: { preset: 'sata-7200' },
      host: { scheduler },
      vms: [
        {
          name: 'guest',
          mapping,
          threads: [
            { name: 'normal', op: 'read', pattern: 'sequential', block_kb: 64, size_gb: 2 },
            {
              name: 'background',
              op: 'read',
              pattern: 'sequential',
              block_kb: 64,
              offset_gb: 20,
              size_gb: 2,
              ioprio_class: 'idle',
            },
          ],
        },
      ],
    } as never),
  );
}

const mbps = (r: RunResult, name: string) => r.summary.vms[0].threads.find((t) => t.name === name)?.mbps ?? 0;

describe('ioprio_class through the virtual PID', () => {
  for (const scheduler of ['cfq', 'bfq'] as const) {
    it(`${scheduler}: vpid starves the idle-class guest thread; vm (class not passed through) shares`, () => {
      const vpid = run('vpid', scheduler);
      expect(mbps(vpid, 'normal')).toBeGreaterThan(30);
      expect(mbps(vpid, 'background')).toBeLessThan(0.05 * mbps(vpid, 'normal'));
      const vm = run('vm', scheduler);
      const a = mbps(vm, 'normal');
      const b = mbps(vm, 'background');
      expect(Math.min(a, b) / Math.max(a, b)).toBeGreaterThan(0.6);
    });
  }
});
