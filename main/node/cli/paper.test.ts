/**
 * The two results of the paper, end to end through `pvblk run --json` (sata-7200, CFQ defaults).
 * Expectations follow from CFQ's semantics (docs/schedulers/cfq.md):
 *  - throughput: with one host queue per VM, CFQ sees a single queue whose requests jump between
 *    four regions, so the disk seeks on every request; with vpid each guest stream is its own sync
 *    queue with a time slice and slice_idle idling, so the disk streams: >= 3x.
 *  - fairness: with vm, two queues get equal time slices (~1/2 disk time each) but VM-B's slice is
 *    spent seeking between its four streams; with vpid, five equal queues -> VM-B ~4/5 of the time;
 *    with vpid-group, two equal-weight groups share time equally and VM-B keeps per-stream idling.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExperimentResult, RunResult } from '../../common/result';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'pvblk.mjs');

function run(args: string[]): ExperimentResult {
  return JSON.parse(execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 }));
}

const byMapping = (res: ExperimentResult, m: string): RunResult => {
  const r = res.runs.find((x) => x.params['vms.*.mapping'] === m);
  if (!r) throw new Error(`no run with mapping ${m}`);
  return r;
};

describe('paper-throughput (pvblk run --json)', () => {
  const res = run(['run', '--preset', 'paper-throughput', '--json']);

  it('has one run per mapping, with the matrix key as written', () => {
    expect(res.runs.map((r) => r.params)).toEqual([
      { 'vms.*.mapping': 'vm' },
      { 'vms.*.mapping': 'pool' },
      { 'vms.*.mapping': 'vpid' },
    ]);
    expect(res.name).toBe('paper-throughput');
    expect(typeof res.engine_version).toBe('string');
  });

  it('pool under CFQ: two readers hand the disk to each other, the other two starve (front-of-tree preemption)', () => {
    // each worker queue holds one seeky request on the SYNC_NOIDLE tree; a new request preempts an
    // active queue with nothing queued and goes to the front of the tree (cfq_should_preempt,
    // cfq_preempt_queue), so the requests of two readers wait behind it for the whole run
    const threads = byMapping(res, 'pool').summary.vms[0].threads;
    const starved = threads.filter((t) => t.ios === 0);
    expect(starved).toHaveLength(2);
    for (const t of starved) {
      expect(t.pending_ios).toBe(1);
      expect(t.oldest_pending_ms).toBeGreaterThan(20_000);
    }
    for (const t of threads.filter((x) => x.ios > 0)) expect(t.oldest_pending_ms).toBeLessThan(1000);
  });

  it('vpid gives at least 3x the total throughput of vm', () => {
    expect(byMapping(res, 'vpid').summary.total.mbps).toBeGreaterThanOrEqual(
      3 * byMapping(res, 'vm').summary.total.mbps,
    );
  });

  it('the latency breakdown adds up to the mean latency', () => {
    for (const r of res.runs)
      for (const vm of r.summary.vms) {
        const b = vm.latency_breakdown_ms;
        expect(b.guest + b.qemu + b.host_queue + b.device).toBeCloseTo(vm.latency_ms.mean, 1);
      }
  });
});

describe('paper-fairness (pvblk run --json)', () => {
  const res = run(['run', '--preset', 'paper-fairness', '--json']);
  const vmRun = byMapping(res, 'vm').summary;
  const vpid = byMapping(res, 'vpid').summary;
  const group = byMapping(res, 'vpid-group').summary;
  const vmB = (s: typeof vmRun) => s.vms.find((v) => v.name === 'qemu-B')!;
  const vmA = (s: typeof vmRun) => s.vms.find((v) => v.name === 'qemu-A')!;

  it('vm: each VM gets roughly half the disk time, but VM-B far less throughput than VM-A', () => {
    expect(vmRun.fairness.disk_time_share['qemu-A']).toBeGreaterThan(0.35);
    expect(vmRun.fairness.disk_time_share['qemu-A']).toBeLessThan(0.65);
    expect(vmB(vmRun).mbps).toBeLessThan(0.5 * vmA(vmRun).mbps);
  });

  it('vpid: VM-B takes about 4/5 of the disk time', () => {
    expect(vpid.fairness.disk_time_share['qemu-B']).toBeGreaterThan(0.7);
    expect(vpid.fairness.disk_time_share['qemu-B']).toBeLessThan(0.9);
  });

  it('vpid-group: Jain >= 0.95, VM-B >= 4x its vm throughput, total within 15 % of vpid', () => {
    expect(group.fairness.jain_vms).toBeGreaterThanOrEqual(0.95);
    expect(vmB(group).mbps).toBeGreaterThanOrEqual(4 * vmB(vmRun).mbps);
    expect(group.total.mbps).toBeGreaterThanOrEqual(0.85 * vpid.total.mbps);
  });
});
