/**
 * CFQ as the host scheduler in front of the real disk model (sata-7200), driven by simulate().
 * Expectations reasoned from the algorithm: two native sequential readers far apart on the disk
 * each get exclusive ~100 ms slices (one long seek per slice instead of one per request), so the
 * aggregate is many times noop's, which alternates the streams request by request; with
 * slice_idle = 0 CFQ switches queues whenever the active one empties (after every request of a
 * depth-1 reader) and behaves like noop. Disk time is split evenly between the two equal queues.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../common/result';
import { expandMatrix, parseSpec } from '../../common/spec/validate';
import { presetSpec } from '../presets';
import { simulate } from '../simulation';

function run(scheduler: 'noop' | 'cfq', params: Record<string, number> = {}): RunResult {
  return simulate(
    parseSpec({
      name: 'cfq-two-readers',
      seed: 1,
      duration_s: 3,
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

/** Seconds each context was the scheduler's active queue after the warm-up. */
function serviceTime(r: RunResult): Map<number, number> {
  const m = new Map<number, number>();
  for (const a of r.trace.activity)
    if (a.kind === 'service' && a.t >= 0.5 && a.ctx >= 0) m.set(a.ctx, (m.get(a.ctx) ?? 0) + (a.end - a.t));
  return m;
}

describe('cfq on the sata-7200 disk model', () => {
  it('two sequential readers: CFQ idling multiplies throughput; slice_idle=0 loses it', () => {
    const noop = run('noop').summary.total.mbps;
    const cfqR = run('cfq');
    const cfq = cfqR.summary.total.mbps;
    const cfq0 = run('cfq', { slice_idle_ms: 0 }).summary.total.mbps;
    expect(cfq).toBeGreaterThan(5 * noop);
    expect(cfq0).toBeLessThan(1.5 * noop);
    const svc = [...serviceTime(cfqR).values()];
    expect(svc).toHaveLength(2);
    expect(Math.abs(svc[0] - svc[1])).toBeLessThan(0.1 * Math.max(...svc));
  });

  it('paper presets: the mapping results emerge from CFQ', () => {
    const runs = (name: string) =>
      expandMatrix(parseSpec(presetSpec(name))).map(({ params, spec }) => simulate(spec, params));
    // Throughput: one host queue per VM (vm) sees four interleaved streams and seeks on every
    // request; per-guest-process queues (vpid) get slices with idling and stream: >= 3x.
    const [vm, , vpid] = runs('paper-throughput');
    expect(vpid.summary.total.mbps).toBeGreaterThan(3 * vm.summary.total.mbps);
    // Fairness: vm → two queues, equal time; vpid → five equal queues, VM-B (4 streams) ≈ 4/5 of
    // the time; vpid-group → two equal-weight groups, equal time again.
    const [fvm, fvpid, fgroup] = runs('paper-fairness');
    expect(fvm.summary.fairness.disk_time_share['qemu-B']).toBeCloseTo(0.5, 1);
    expect(fvpid.summary.fairness.disk_time_share['qemu-B']).toBeGreaterThan(0.7);
    expect(fgroup.summary.fairness.disk_time_share['qemu-B']).toBeCloseTo(0.5, 1);
  }, 120_000);
});
