/**
 * Latency recording in constant memory: an HDR histogram (`LogHistogram`: HdrHistogram's layout
 * and percentiles, 3 significant digits, values in microseconds) for percentiles, with the exact mean and max kept beside it, and the mean
 * of each layer of the stack for the breakdown.
 */
import type { LatencyBreakdown, LatencySummary } from '../../common/result';
import { timeField } from '../core/time';
import type { IoUnit } from '../io/request';
import { LogHistogram } from './histogram';

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export class LatencyRecorder {
  private readonly hist: LogHistogram;
  count = 0;
  // Sums of times pass 2^31 ns: doubles from the start (timeField, core/time.ts).
  private sumNs = timeField(0);
  private maxNs = timeField(0);
  private guestNs = timeField(0);
  private qemuNs = timeField(0);
  private hostNs = timeField(0);
  private deviceNs = timeField(0);

  /** `digits`: significant decimal digits of the percentiles (3 for summaries, 2 for live intervals). */
  constructor(private readonly digits: 2 | 3 = 3) {
    this.hist = new LogHistogram(digits);
  }

  /**
   * The recorder of several flows together (a VM's threads, all threads): the same numbers as
   * recording every I/O into one recorder, since the histograms share their configuration and the
   * sums are of integer nanoseconds.
   */
  static merged(parts: LatencyRecorder[], digits: 2 | 3 = parts[0]?.digits ?? 3): LatencyRecorder {
    return new LatencyRecorder(digits).assign(parts);
  }

  /** Become the merge of `parts` (same digits): `merged` without a new recorder. */
  assign(parts: readonly LatencyRecorder[]): this {
    this.reset();
    for (const p of parts) {
      if (p.count === 0) continue;
      this.hist.add(p.hist);
      this.count += p.count;
      this.sumNs += p.sumNs;
      if (p.maxNs > this.maxNs) this.maxNs = p.maxNs;
      this.guestNs += p.guestNs;
      this.qemuNs += p.qemuNs;
      this.hostNs += p.hostNs;
      this.deviceNs += p.deviceNs;
    }
    return this;
  }

  record(u: IoUnit): void {
    const lat = u.tDone - u.tSubmit;
    this.hist.record(Math.max(1, Math.round(lat / 1000)));
    this.count++;
    this.sumNs += lat;
    if (lat > this.maxNs) this.maxNs = lat;
    this.guestNs += u.tGuestOut - u.tSubmit;
    this.qemuNs += u.tHostIn - u.tGuestOut;
    this.hostNs += u.tHostOut - u.tHostIn;
    this.deviceNs += u.tDone - u.tHostOut;
  }

  /**
   * Percentile in ms (0 when empty). The histogram reports the highest value of the percentile's
   * bucket (HdrHistogram's getValueAtPercentile), which can lie above the exact maximum by less
   * than a bucket: clamped to it, so no percentile exceeds the max.
   */
  percentile(p: number): number {
    return this.count === 0 ? 0 : Math.min(this.hist.valueAtPercentile(p) / 1000, this.maxNs / 1e6);
  }

  summary(): LatencySummary {
    if (this.count === 0) return { mean: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    return {
      mean: r3(this.sumNs / this.count / 1e6),
      p50: r3(this.percentile(50)),
      p95: r3(this.percentile(95)),
      p99: r3(this.percentile(99)),
      p999: r3(this.percentile(99.9)),
      max: r3(this.maxNs / 1e6),
    };
  }

  breakdown(): LatencyBreakdown {
    return this.breakdownInto({ guest: 0, qemu: 0, host_queue: 0, device: 0 });
  }

  /** `breakdown` written into `out`. */
  breakdownInto(out: LatencyBreakdown): LatencyBreakdown {
    const n = Math.max(1, this.count);
    out.guest = r3(this.guestNs / n / 1e6);
    out.qemu = r3(this.qemuNs / n / 1e6);
    out.host_queue = r3(this.hostNs / n / 1e6);
    out.device = r3(this.deviceNs / n / 1e6);
    return out;
  }

  reset(): void {
    this.hist.reset();
    this.count = 0;
    this.sumNs = 0;
    this.maxNs = 0;
    this.guestNs = 0;
    this.qemuNs = 0;
    this.hostNs = 0;
    this.deviceNs = 0;
  }
}
