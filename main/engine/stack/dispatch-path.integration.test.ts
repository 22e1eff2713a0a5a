/**
 * host.dispatch_latency_us (stack/dispatch-path.ts): requests reach the disk that long after their
 * dispatch, holding their slot, on the sata-7200 model (queue depth 1, read-ahead cache).
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../common/result';
import { parseSpec } from '../../common/spec/validate';
import { simulate } from '../simulation';

const run = (dispatchUs: number | undefined, native: object[], scheduler = 'noop'): RunResult =>
  simulate(
    parseSpec({
      name: 'dispatch-path',
      seed: 1,
      duration_s: 4,
      warmup_s: 0.5,
      disk: { preset: 'sata-7200' },
      host: {
        scheduler,
        params: {},
        ...(dispatchUs === undefined ? {} : { dispatch_latency_us: dispatchUs }),
      },
      native,
    }),
  );
const seq = { name: 'r', op: 'read', pattern: 'sequential', block_kb: 64, iodepth: 1, size_gb: 4 };
const rnd = { name: 'x', op: 'read', pattern: 'random', block_kb: 4, iodepth: 1, size_gb: 20 };

describe('dispatch latency between the host and the disk', () => {
  it('absent or 0: the same run, to the byte', () => {
    expect(JSON.stringify(run(0, [rnd]))).toBe(JSON.stringify(run(undefined, [rnd])));
  });

  it('one random reader at depth 1: every request takes the latency longer, no request is lost', () => {
    const a = run(undefined, [rnd]).summary;
    const b = run(1000, [rnd]).summary;
    // random 4 KiB reads: no cache hits, so the service itself does not change
    const perIo = (s: RunResult['summary']) => s.native[0].latency_ms.mean ?? 0;
    expect(perIo(b) - perIo(a)).toBeGreaterThan(0.9);
    expect(perIo(b) - perIo(a)).toBeLessThan(1.1);
    // the disk's own busy time per request is unchanged: disk-time shares stay the disk's
    expect(b.disk.seeks / b.native[0].ios).toBeCloseTo(a.disk.seeks / a.native[0].ios, 1);
    // the closed loop completes fewer requests, none is lost: every one issued is done or pending
    expect(b.native[0].ios).toBeLessThan(a.native[0].ios);
    expect(b.native[0].pending_ios).toBeLessThanOrEqual(1);
  });

  it('interleaved sequential readers: the drive reads ahead while a queued request is in transit', () => {
    // noop alternates three sequential readers request by request, so without a gap the drive
    // seeks to the next reader the moment a request ends. With 700 µs in transit it keeps reading
    // ahead (the outer zone passes 2,000 sectors per 8.3 ms revolution, so 700 µs is about 170
    // sectors, more than one 64 KiB request), so the next request of a reader is found in the cache
    // segment left behind: many hits and several times the throughput.
    const three = [{ ...seq, count: 3 }];
    const a = run(undefined, three).summary;
    const b = run(700, three).summary;
    expect(a.disk.cache_hit_ratio).toBeLessThan(0.1);
    expect(b.disk.cache_hit_ratio).toBeGreaterThan(0.5);
    expect(b.total.mbps).toBeGreaterThan(2.5 * a.total.mbps);
  });
});
