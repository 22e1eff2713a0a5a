/**
 * The device interface. A disk owns its own timing: the block layer submits a request when the
 * device has a free slot (in flight < queueDepth); the disk schedules its completion on the
 * simulator and calls `onComplete`. With queueDepth > 1 the disk reorders its queued requests
 * itself (shortest positioning time first, like NCQ/TCQ).
 */
import type { Simulator } from '../core/sim';
import { timeField } from '../core/time';
import type { BlockRequest } from '../io/request';

export interface ServiceInfo {
  /** When the mechanism started on this request (ns); device busy from here to completion. */
  readonly startNs: number;
  readonly endNs: number;
  /** Seek distance in cylinders (0 for a cache hit or same cylinder). */
  readonly seekCyl: number;
  readonly seekNs: number;
  readonly rotationNs: number;
  readonly transferNs: number;
  /**
   * Access time as DiskSim's "Access time" statistic (disk_acctimestats): positioning (seek +
   * rotational latency) plus the media transfer, for a request that needed positioning; 0 for a
   * cache hit or a read that continued the read-ahead in progress.
   */
  readonly accessNs: number;
  /** Served from the drive's cache (no media access). */
  readonly cacheHit: boolean;
}

/**
 * A mutable ServiceInfo a disk reuses instead of allocating one per request: the `info` handed to
 * `onComplete` is valid during that call only (copy it to keep it).
 */
export class ServiceRecord implements ServiceInfo {
  // Times start as doubles (timeField, core/time.ts): no shape change when they pass 2^31 ns.
  startNs = timeField(0);
  endNs = timeField(0);
  seekCyl = 0;
  seekNs = timeField(0);
  rotationNs = timeField(0);
  transferNs = timeField(0);
  accessNs = timeField(0);
  cacheHit = false;

  set(
    startNs: number,
    endNs: number,
    seekCyl: number,
    seekNs: number,
    rotationNs: number,
    transferNs: number,
    accessNs: number,
    cacheHit: boolean,
  ): this {
    this.startNs = startNs;
    this.endNs = endNs;
    this.seekCyl = seekCyl;
    this.seekNs = seekNs;
    this.rotationNs = rotationNs;
    this.transferNs = transferNs;
    this.accessNs = accessNs;
    this.cacheHit = cacheHit;
    return this;
  }
}

export interface Disk {
  readonly kind: 'hdd' | 'ssd';
  readonly rotational: boolean;
  readonly queueDepth: number;
  /** Capacity in 512-byte sectors. */
  readonly capacitySectors: number;
  /** Number of requests currently in the device (queued inside it or being served). */
  inFlight(): number;
  /** Accept a request (caller guarantees inFlight() < queueDepth). `rq.sector` is a host sector (512 B). */
  submit(rq: BlockRequest): void;
  /**
   * Set by the host block layer before the run. `info` may be a record the disk reuses for a later
   * request: read it during the call (copy it to keep it).
   */
  onComplete: (rq: BlockRequest, info: ServiceInfo) => void;
  /** Cylinder of a 512-byte host sector (for seek-pattern views); 0 on an SSD. */
  cylinderOf(sector: number): number;
  /** Counters for the summary. */
  stats(): DiskStats;
}

export interface DiskStats {
  /** Total time the mechanism was busy (ns). */
  busyNs: number;
  requests: number;
  /** Requests that needed a seek (distance > 0 cylinders). */
  seeks: number;
  /** Sum of seek distances (cylinders) over all requests that reached the media. */
  seekCylSum: number;
  mediaRequests: number;
  readRequests: number;
  cacheHits: number;
}

export type DiskFactory = (sim: Simulator) => Disk;

/** Counters at zero (a new disk, or the baseline before anything was measured). */
export const emptyDiskStats = (): DiskStats => ({
  busyNs: timeField(0), // a double from the start (core/time.ts)
  requests: 0,
  seeks: 0,
  seekCylSum: 0,
  mediaRequests: 0,
  readRequests: 0,
  cacheHits: 0,
});
