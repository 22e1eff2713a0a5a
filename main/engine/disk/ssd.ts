/**
 * A simple SSD for contrast: `channels` independent channels; a request occupies one channel for
 * latency (read or write) + bytes / (bandwidth / channels). Requests beyond the free channels wait
 * inside the device in FIFO order. Aggregate throughput is therefore bounded by `bandwidth_mbps`.
 */
import type { SsdSpec } from '../../common/spec/schema';
import type { Simulator } from '../core/sim';
import { timeField } from '../core/time';
import { type BlockRequest, SECTOR_BYTES } from '../io/request';
import { type Disk, type DiskStats, emptyDiskStats, type ServiceInfo } from './types';

export class SsdDisk implements Disk {
  readonly kind = 'ssd' as const;
  readonly rotational = false;
  readonly queueDepth: number;
  readonly capacitySectors: number;
  onComplete: (rq: BlockRequest, info: ServiceInfo) => void = () => {};

  private readonly sim: Simulator;
  private readonly readNs: number;
  private readonly writeNs: number;
  /** ns per byte on one channel. */
  private readonly chanNsPerByte: number;
  private freeChannels: number;
  private readonly queue: BlockRequest[] = [];
  private inflight = 0;
  private busyUntil = timeField(0); // a double from the start (core/time.ts)
  private readonly st: DiskStats = emptyDiskStats();

  constructor(spec: SsdSpec, sim: Simulator) {
    this.sim = sim;
    this.queueDepth = spec.queue_depth;
    this.capacitySectors = Math.floor((spec.capacity_gb * 1024 ** 3) / SECTOR_BYTES);
    this.readNs = spec.read_latency_us * 1e3;
    this.writeNs = spec.write_latency_us * 1e3;
    this.chanNsPerByte = (1e3 * spec.channels) / spec.bandwidth_mbps;
    this.freeChannels = spec.channels;
  }

  inFlight(): number {
    return this.inflight;
  }

  cylinderOf(_sector: number): number {
    return 0;
  }

  stats(): DiskStats {
    return { ...this.st };
  }

  submit(rq: BlockRequest): void {
    this.inflight++;
    if (this.freeChannels > 0) this.start(rq);
    else this.queue.push(rq);
  }

  private start(rq: BlockRequest): void {
    this.freeChannels--;
    const t = this.sim.now;
    const xfer = rq.sectors * SECTOR_BYTES * this.chanNsPerByte;
    const lat = rq.op === 'read' ? this.readNs : this.writeNs;
    const end = Math.ceil(t + lat + xfer - 1e-6);
    const st = this.st;
    st.requests++;
    st.mediaRequests++;
    if (rq.op === 'read') st.readRequests++;
    // busy = union of channel service intervals (starts are non-decreasing in time)
    const from = Math.max(t, this.busyUntil);
    if (end > from) st.busyNs += end - from;
    if (end > this.busyUntil) this.busyUntil = end;
    const info: ServiceInfo = {
      startNs: t,
      endNs: end,
      seekCyl: 0,
      seekNs: 0,
      rotationNs: 0,
      transferNs: lat + xfer,
      accessNs: lat + xfer,
      cacheHit: false,
    };
    this.sim.postAt(end, () => {
      this.freeChannels++;
      this.inflight--;
      this.onComplete(rq, info);
      if (this.freeChannels > 0 && this.queue.length > 0) this.start(this.queue.shift()!);
    });
  }
}
