import { describe, expect, it } from 'vitest';
import { resolveTunables, type TunableValues } from '../../common/spec/tunables';
import { MS, SEC } from '../core/time';
import { createAnticipatory } from './anticipatory';
import { createDeadline } from './deadline';
import { SchedBench } from './testing';

const asBench = (params: TunableValues = {}, depth = 1) =>
  new SchedBench((env) => createAnticipatory(env, resolveTunables('anticipatory', params)), {
    queueDepth: depth,
  });
const dlBench = (depth = 1) =>
  new SchedBench((env) => createDeadline(env, resolveTunables('deadline', {})), { queueDepth: depth });

/** Deterministic LCG in [0, 1). */
const lcg = (seed: number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
};

/** Two closed-loop sequential sync readers far apart on the disk. */
const twoReaders = (b: SchedBench) => {
  b.stream(1, { start: 0, sectors: 8 });
  b.stream(2, { start: 20_000_000, sectors: 8 });
};

/** Runs of consecutive dispatches with the same key, with their first/last dispatch times. */
function runs<T>(b: SchedBench, key: (i: number) => T) {
  const out: { key: T; len: number; t0: number; t1: number }[] = [];
  b.dispatched.forEach((d, i) => {
    const k = key(i);
    const last = out[out.length - 1];
    if (last && last.key === k) {
      last.len++;
      last.t1 = d.t;
    } else out.push({ key: k, len: 1, t0: d.t, t1: d.t });
  });
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Largest number of requests in flight at the device at any time. */
function maxInFlight(b: SchedBench): number {
  const ev = [
    ...b.dispatched.map((d) => ({ t: d.t, v: 1 })),
    ...b.completed.map((c) => ({ t: c.t, v: -1 })),
  ].sort((x, y) => x.t - y.t || x.v - y.v);
  let n = 0;
  let m = 0;
  for (const e of ev) {
    n += e.v;
    m = Math.max(m, n);
  }
  return m;
}

describe('anticipatory', () => {
  it('two sequential readers: long alternating bursts, several times deadline throughput', () => {
    const as = asBench();
    twoReaders(as);
    as.run(5 * SEC);
    const dl = dlBench();
    twoReaders(dl);
    dl.run(5 * SEC);
    // deadline ping-pongs (a seek, ~8 ms, per request); AS waits ≤ 6 ms after each completion for
    // the same reader's next, contiguous request (0.58 ms), and switches only when the rate-limited
    // FIFO check (once per read_expire = 125 ms) finds the other reader's request expired.
    expect(as.completed.length).toBeGreaterThan(4 * dl.completed.length);
    const bursts = runs(as, (i) => as.dispatched[i].rq.ctx).slice(1, -1);
    // Bursts of 125–250 ms: hundreds of 0.58 ms requests each.
    const durations = bursts.map((r) => r.t1 - r.t0);
    expect(median(durations)).toBeGreaterThanOrEqual(100 * MS);
    expect(median(durations)).toBeLessThanOrEqual(260 * MS);
    expect(median(bursts.map((r) => r.len))).toBeGreaterThan(100);
    // Both readers progress about equally.
    const s = as.sectorsByCtx();
    const ratio = (s.get(1) ?? 0) / (s.get(2) ?? 1);
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.4);
    // Anticipation paid off almost always (the reader's next request arrives at once).
    const ends = as.events.filter((e) => e.kind === 'idleEnd');
    expect(ends.filter((e) => e.paidOff).length / ends.length).toBeGreaterThan(0.95);
  });

  it('antic_expire_ms = 0 behaves like deadline: ping-pong, no advantage', () => {
    const as0 = asBench({ antic_expire_ms: 0 });
    twoReaders(as0);
    as0.run(3 * SEC);
    const dl = dlBench();
    twoReaders(dl);
    dl.run(3 * SEC);
    const r = as0.completed.length / dl.completed.length;
    expect(r).toBeGreaterThan(0.8);
    expect(r).toBeLessThan(1.25);
    expect(as0.events.filter((e) => e.kind === 'idleStart')).toHaveLength(0);
    const ctxs = as0.dispatched.map((d) => d.rq.ctx);
    let switches = 0;
    for (let i = 1; i < ctxs.length; i++) if (ctxs[i] !== ctxs[i - 1]) switches++;
    expect(switches / (ctxs.length - 1)).toBeGreaterThan(0.9);
  });

  it('does not wait for a reader whose think time exceeds antic_expire', () => {
    const b = asBench();
    b.stream(1, { start: 0, sectors: 8, thinkNs: 10 * MS }); // thinks 10 ms > 6 ms
    b.stream(2, { start: 20_000_000, sectors: 8 });
    b.run(5 * SEC);
    const idle = (ctx: number) => b.events.filter((e) => e.kind === 'idleStart' && e.ctx === ctx).length;
    // Reader 1 has no think-time sample after its first request only (then the 0 ms prior is
    // used); from its second request on its mean think time is ~10 ms > antic_expire.
    expect(idle(1)).toBeLessThanOrEqual(2);
    expect(idle(2)).toBeGreaterThan(100);
    // The thinking reader still gets served (FIFO check), every time it is not waited on the
    // other reader's queued request is dispatched at once.
    expect(b.completed.filter((c) => c.rq.ctx === 1).length).toBeGreaterThan(10);
  });

  it('a cooperating process reading close to P’s last sector breaks anticipation', () => {
    const scenario = (coop: boolean) => {
      const b = asBench();
      b.sim.at(0, () => b.submit(b.request(1, 1_000_000, 8))); // P: done at ~8.08 ms
      b.sim.at(1 * MS, () => b.submit(b.request(2, 50_000_000, 8))); // far, held back
      if (coop) b.sim.at(10 * MS, () => b.submit(b.request(3, 1_000_008 + 64, 8)));
      b.run(200 * MS);
      return b;
    };
    const withCoop = scenario(true);
    const coopDispatch = withCoop.dispatched.find((d) => d.rq.ctx === 3)!;
    // The close request ends the wait as it arrives (10 ms) and is served before the far one.
    expect(coopDispatch.t).toBe(10 * MS);
    expect(withCoop.dispatched.map((d) => d.rq.ctx)).toEqual([1, 3, 2]);
    // (Afterwards AS anticipates on the cooperating process itself, which issues nothing more.)
    expect(withCoop.events.filter((e) => e.kind === 'idleEnd' && e.ctx === 1)).toEqual([
      { t: 10 * MS, kind: 'idleEnd', ctx: 1, paidOff: true },
    ]);
    const alone = scenario(false);
    const farDispatch = alone.dispatched.find((d) => d.rq.ctx === 2)!;
    const pDone = alone.completed[0].t;
    // Without it the far request waits the whole antic_expire after P's completion.
    expect(farDispatch.t).toBe(pDone + 6 * MS);
    expect(alone.events.find((e) => e.kind === 'idleEnd')).toMatchObject({ ctx: 1, paidOff: false });
  });

  it('keeps only one read outstanding while anticipating, even on a deep queue', () => {
    const as = asBench({}, 8);
    twoReaders(as);
    as.run(2 * SEC);
    const dl = dlBench(8);
    twoReaders(dl);
    dl.run(2 * SEC);
    expect(maxInFlight(dl)).toBe(2);
    expect(maxInFlight(as)).toBe(1);
  });

  it('read and write batches alternate, separated by drains', () => {
    const b = asBench({}, 4);
    b.stream(1, { start: 0, sectors: 8 });
    b.stream(2, { start: 30_000_000, span: 4_000_000, sectors: 8, depth: 16, op: 'write', random: lcg(3) });
    b.run(6 * SEC);
    // Drain: a batch of the other direction starts only when the device has none of the old one.
    const inFlight: { rq: { op: string }; done: number }[] = [];
    const doneAt = new Map(b.completed.map((c) => [c.rq, c.t]));
    for (const d of b.dispatched) {
      for (const f of inFlight) if (f.done > d.t) expect(f.rq.op).toBe(d.rq.op);
      inFlight.push({ rq: d.rq, done: doneAt.get(d.rq) ?? Number.POSITIVE_INFINITY });
    }
    const r = runs(b, (i) => b.dispatched[i].rq.op).slice(1, -1);
    const readDur = r.filter((x) => x.key === 'read').map((x) => x.t1 - x.t0);
    const writeDur = r.filter((x) => x.key === 'write').map((x) => x.t1 - x.t0);
    // Read batches run read_batch_expire = 500 ms from their first completion; write batches end
    // after write_batch_expire = 125 ms or the (autotuned) write count.
    expect(median(readDur)).toBeGreaterThan(450 * MS);
    expect(median(readDur)).toBeLessThan(560 * MS);
    expect(median(writeDur)).toBeGreaterThan(50 * MS);
    expect(median(writeDur)).toBeLessThan(200 * MS);
  });

  it('starvation freedom: every backlogged stream completes requests, bounded latency', () => {
    const b = asBench();
    b.stream(1, { start: 0, sectors: 8 });
    b.stream(2, { start: 10_000_000, sectors: 8 });
    b.stream(3, { start: 20_000_000, sectors: 8 });
    b.stream(4, { start: 30_000_000, span: 10_000_000, sectors: 8, random: lcg(11) });
    b.stream(5, { start: 50_000_000, span: 4_000_000, sectors: 8, depth: 16, op: 'write', random: lcg(5) });
    b.run(10 * SEC);
    const byCtx = new Map<number, number>();
    let maxRead = 0;
    let maxWrite = 0;
    for (const c of b.completed) {
      byCtx.set(c.rq.ctx, (byCtx.get(c.rq.ctx) ?? 0) + 1);
      const lat = c.t - c.rq.insertedAt;
      if (c.rq.op === 'read') maxRead = Math.max(maxRead, lat);
      else maxWrite = Math.max(maxWrite, lat);
    }
    for (const ctx of [1, 2, 3, 4, 5]) expect(byCtx.get(ctx) ?? 0).toBeGreaterThan(20);
    // A read is found expired by a FIFO check at most ~250 ms after its deadline (125 ms) for each
    // of the ≤ 3 other readers queued before it, plus a write batch (125 ms) and its drain.
    expect(maxRead).toBeLessThan(1500 * MS);
    // Writes get a batch after every read batch (≤ 500 ms) and are taken from the FIFO head.
    expect(maxWrite).toBeLessThan(5 * SEC);
  });
});
