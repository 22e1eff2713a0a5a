/**
 * kyber (block/kyber-iosched.c, Linux 6.1) on the scheduler bench: domains served round-robin in
 * batches (kyber_dispatch_request, kyber_batch_size), token depths (kyber_depth,
 * kyber_get_domain_token) and their adjustment by latency (kyber_timer_fn, calculate_percentile,
 * kyber_resize_domain).
 */
import { describe, expect, it } from 'vitest';
import { resolveTunables } from '../../common/spec/tunables';
import { parseSpec, validateSpec } from '../../common/spec/validate';
import { MS, SEC } from '../core/time';
import type { BlockRequest } from '../io/request';
import { simulate } from '../simulation';
import { createKyber, type KyberScheduler } from './kyber';
import { type BenchOptions, SchedBench } from './testing';

function bench(params: Record<string, number> = {}, opts: BenchOptions = {}) {
  let k: KyberScheduler | null = null;
  const b = new SchedBench((env) => {
    k = createKyber(env, resolveTunables('kyber', params));
    return k;
  }, opts);
  return { b, kyber: () => k as unknown as KyberScheduler };
}

/** A flash-like device: 100 µs + 2 µs per sector, one request at a time. */
const flash = (_head: number, rq: BlockRequest) => 100_000 + rq.sectors * 2_000;

describe('kyber', () => {
  it('serves reads and writes round-robin in batches of 16 reads and 8 writes', () => {
    const { b } = bench({}, { queueDepth: 1, serviceNs: flash });
    b.sim.at(0, () => {
      for (let i = 0; i < 40; i++) b.submit(b.request(1, i * 1000, 8, 'read'));
      for (let i = 0; i < 40; i++) b.submit(b.request(2, 1e6 + i * 1000, 8, 'write', false));
    });
    b.run(SEC);
    const ops = b.dispatched.map((d) => (d.rq.op === 'read' ? 'r' : 'w')).join('');
    expect(ops.slice(0, 48)).toBe(`${'r'.repeat(16)}${'w'.repeat(8)}${'r'.repeat(16)}${'w'.repeat(8)}`);
    expect(b.dispatched).toHaveLength(80);
  });

  it('throttles a domain within its target when another misses its own (congestion)', () => {
    // Reads miss a 50 µs target (every read takes ≥ 116 µs at the device): the p90 I/O latency of
    // reads is in a bad bucket, so kyber_timer_fn sees congestion and scales the write depth by its
    // p99 bucket (writes are fast against their 10 ms target), to a quarter or half each time.
    const { b, kyber } = bench({ read_lat_ms: 0.05 }, { queueDepth: 32, serviceNs: flash });
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    b.stream(1, { start: 0, sectors: 8, depth: 4, random, span: 1e8 });
    b.stream(2, { start: 2e8, sectors: 8, depth: 16, random, span: 1e8, op: 'write', sync: false });
    b.run(3 * SEC);
    const writes = kyber()
      .resizes()
      .filter((r) => r.domain === 'write')
      .map((r) => r.depth);
    expect(writes[0]).toBeLessThanOrEqual(64);
    for (let i = 1; i < writes.length; i++) expect(writes[i]).toBeLessThan(writes[i - 1]);
    const final = kyber().depth('write');
    expect(final).toBeLessThanOrEqual(2);
    expect(kyber().depth('read')).toBe(256); // the missing domain is widened, up to kyber_depth
    // Once throttled, never more writes at the device than the domain has tokens.
    const t1 =
      kyber()
        .resizes()
        .filter((r) => r.domain === 'write')
        .at(-1)?.t ?? 0;
    let inflight = 0;
    let max = 0;
    const events = [
      ...b.dispatched.filter((d) => d.rq.op === 'write').map((d) => ({ t: d.t, d: 1 })),
      ...b.completed.filter((c) => c.rq.op === 'write').map((c) => ({ t: c.t, d: -1 })),
    ].sort((x, y) => x.t - y.t || x.d - y.d);
    for (const e of events) {
      inflight += e.d;
      if (e.t > t1 + 10 * MS) max = Math.max(max, inflight);
    }
    expect(max).toBeLessThanOrEqual(final);
    expect(max).toBeGreaterThan(0);
  });

  it('runs as a host scheduler with its tunables validated', () => {
    const r = simulate(
      parseSpec({
        name: 'kyber',
        seed: 1,
        duration_s: 2,
        warmup_s: 0.5,
        sample_interval_ms: 250,
        disk: { preset: 'ssd-sata' },
        host: { scheduler: 'kyber', params: { read_lat_ms: 1 } },
        native: [
          { name: 'r', op: 'read', pattern: 'random', block_kb: 4, iodepth: 8, offset_gb: 0, size_gb: 10 },
        ],
      } as never),
    );
    expect(r.summary.total.iops).toBeGreaterThan(1000);
    const bad = validateSpec({
      name: 'x',
      duration_s: 2,
      host: { scheduler: 'kyber', params: { slice_idle_ms: 8 } },
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0].path).toBe('host.params.slice_idle_ms');
  });
});
