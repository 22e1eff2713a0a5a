/**
 * BFQ as the host scheduler in front of the real disk model (sata-7200), driven by simulate().
 * Expectations reasoned from the algorithm (docs/schedulers/bfq.md), not copied from runs.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../common/result';
import { expandMatrix, parseSpec } from '../../common/spec/validate';
import { presetSpec } from '../presets';
import { simulate } from '../simulation';

function twoReaders(scheduler: 'noop' | 'bfq', params: Record<string, number> = {}, duration = 6): RunResult {
  return simulate(
    parseSpec({
      name: 'bfq-two-readers',
      seed: 1,
      duration_s: duration,
      warmup_s: 0.5,
      sample_interval_ms: 100,
      disk: { preset: 'sata-7200' },
      host: { scheduler, params },
      vms: [],
      native: [
        { name: 'a', op: 'read', pattern: 'sequential', block_kb: 64, offset_gb: 10, size_gb: 1 },
        { name: 'b', op: 'read', pattern: 'sequential', block_kb: 64, offset_gb: 300, size_gb: 1 },
      ],
    } as never),
  );
}

/** paper-fairness with BFQ on the host, VM A weighted 300 and VM B 100. */
function fairness(mapping: 'vpid' | 'vpid-group'): RunResult {
  const spec = JSON.parse(JSON.stringify(presetSpec('paper-fairness')));
  delete spec.matrix;
  spec.duration_s = 12;
  spec.host = { scheduler: 'bfq', params: { low_latency: 0 } };
  spec.vms[0].weight = 300;
  for (const v of spec.vms) v.mapping = mapping;
  const [{ params, spec: s }] = expandMatrix(parseSpec(spec));
  return simulate(s, params);
}

describe('bfq on the sata-7200 disk model', () => {
  it('two sequential readers: idling multiplies throughput, slice_idle=0 loses it, sectors are shared equally', () => {
    // Each queue keeps the disk for a whole budget / 125 ms slot with one long seek per slot
    // instead of one per request (noop). Sequential queues are charged sectors, not time, so the
    // two readers get the same throughput even though the inner-zone one is slower per sector.
    const noop = twoReaders('noop').summary.total.mbps;
    const r = twoReaders('bfq', { low_latency: 0 });
    expect(r.summary.total.mbps).toBeGreaterThan(5 * noop);
    expect(twoReaders('bfq', { low_latency: 0, slice_idle_ms: 0 }).summary.total.mbps).toBeLessThan(
      1.5 * noop,
    );
    const [a, b] = r.summary.native.map((t) => t.mbps);
    expect(a / b).toBeGreaterThan(0.9);
    expect(a / b).toBeLessThan(1.1);
  });

  it('paper-fairness: groups weighted 300:100 get ≈3:1, per-process queues share per process', () => {
    // vpid-group: each VM's processes in a group of the VM's weight → 3:1 between the VMs.
    const g = fairness('vpid-group');
    const [ga, gb] = g.summary.vms.map((v) => v.mbps);
    expect(ga / gb).toBeGreaterThan(3 * 0.8);
    expect(ga / gb).toBeLessThan(3 * 1.2);
    // vpid: five equal-weight sequential queues in the root group → B (4 readers) ≈ 4× A.
    const p = fairness('vpid');
    const [pa, pb] = p.summary.vms.map((v) => v.mbps);
    expect(pb / pa).toBeGreaterThan(4 * 0.75);
    expect(pb / pa).toBeLessThan(4 * 1.25);
  }, 60_000);
});
