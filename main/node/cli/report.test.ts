import { describe, expect, it } from 'vitest';
import type { ExperimentResult } from '../../common/result';
import { validateSpec } from '../../common/spec/validate';
import { presetSpec } from '../../engine/presets/index';
import { simulate } from '../../engine/simulation';
import { report, STARVED_NOTE } from './report';

function oneRun(): ExperimentResult {
  const v = validateSpec({ ...(presetSpec('mixed-tenants') as object), duration_s: 2, warmup_s: 0.2 });
  if (!v.ok) throw new Error('preset invalid');
  return { name: 'x', seed: 1, engine_version: 'test', runs: [simulate(v.spec)] };
}

describe('report', () => {
  it('shows p99.9 and max beside the mean and p99 (a mean above p99 is a heavy tail)', () => {
    const res = oneRun();
    const text = report(res);
    const t = res.runs[0].summary.total.latency_ms;
    expect(t.p999).toBeGreaterThanOrEqual(t.p99);
    expect(t.max).toBeGreaterThanOrEqual(t.p999 ?? 0);
    expect(text).toContain(`p99.9 ${t.p999?.toFixed(2)}, max ${t.max.toFixed(2)}`);
    expect(text).toMatch(/mean ms\s+p99 ms\s+p99\.9 ms\s+max ms/);
  });

  it('explains starved threads in one line under the run', () => {
    const res = oneRun();
    const th = res.runs[0].summary.vms[0].threads[0];
    th.pending_ios = 1;
    th.oldest_pending_ms = 28_000;
    const text = report(res);
    expect(text).toContain(`still waiting at the end: ${th.name} (1 I/O, oldest 28.00 s)`);
    expect(text).toContain(STARVED_NOTE);
    expect(STARVED_NOTE.includes('\n')).toBe(false);
  });
});
