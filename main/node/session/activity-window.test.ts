/**
 * A zoomed activity window at full resolution (issue #16 item 2): the run simulated again up to
 * the window gives every scheduler event of the window, the same events an uncapped trace holds,
 * where the run's stored (capped) trace holds an even subset.
 */
import { describe, expect, it } from 'vitest';
import type { ActivityEvent } from '../../common/result';
import { parseSpec } from '../../common/spec/validate';
import { simulate } from '../../engine/simulation';
import { ENGINE_VERSION } from '../../engine/version';
import { activityWindow, WINDOW_TAIL_S } from './activity-window';
import { EXPERIMENT_PRESETS, expandMatrix } from './engine';

/** paper-fairness (CFQ, two VMs), 10 s, a small trace cap so the stored trace is thinned. */
const SPEC = {
  ...structuredClone(EXPERIMENT_PRESETS['paper-fairness'].spec),
  duration_s: 10,
  trace_max_points: 2000,
};

describe('activityWindow', () => {
  it('returns every scheduler event of the window: those of an uncapped trace, where the stored trace is thinned', async () => {
    const spec = parseSpec(SPEC);
    const [run] = expandMatrix(spec);
    const stored = simulate(run.spec, run.params);
    expect(stored.trace.truncated).toBe(true);
    const uncapped = simulate({ ...run.spec, trace_max_points: 10_000_000 }, run.params);
    expect(uncapped.trace.truncated).toBe(false);

    const w = await activityWindow({
      spec: SPEC,
      params: run.params,
      fromS: 5,
      toS: 7,
      engineVersion: ENGINE_VERSION,
    });
    expect(w.complete).toBe(true);
    const inWindow = (e: ActivityEvent) => e.end >= 5 && e.t <= 7;
    // The window run stops WINDOW_TAIL_S after the window: events ending later are not reported.
    const expected = uncapped.trace.activity.filter((e) => inWindow(e) && e.end <= 7 + WINDOW_TAIL_S);
    expect(expected.length).toBeGreaterThan(100);
    expect(w.events).toEqual(expected);
    const thinned = stored.trace.activity.filter(inWindow);
    expect(thinned.length).toBeLessThan(w.events.length / 2);
  });

  it('names what it cannot do: another engine, a run the spec does not have, a window outside the run', async () => {
    const params = expandMatrix(parseSpec(SPEC))[0].params;
    await expect(
      activityWindow({ spec: SPEC, params, fromS: 1, toS: 2, engineVersion: 'old-engine' }),
    ).rejects.toThrow(/engine old-engine/);
    await expect(
      activityWindow({ spec: SPEC, params: { 'vms.*.mapping': 'nope' }, fromS: 1, toS: 2 }),
    ).rejects.toThrow(/no run of this spec/);
    await expect(activityWindow({ spec: SPEC, params, fromS: 20, toS: 30 })).rejects.toThrow(
      /outside the run/,
    );
    await expect(activityWindow({ spec: { name: 1 }, params, fromS: 0, toS: 1 })).rejects.toThrow(
      /invalid spec/,
    );
  });
});
