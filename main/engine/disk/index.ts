/**
 * The disk layer: HDD and SSD models and characterization; re-exports the presets and spec
 * resolution, which live in main/common/disk (pure data, shared with the spec validator).
 *
 * Modelling choices and simplifications (see hdd.ts for the mechanics):
 * - One mechanism; requests are served one at a time (cache hits included). queue_depth > 1 reorders
 *   by shortest positioning time (seek + rotational wait from the current head and platter angle),
 *   with an aging bound (the oldest request is served after 4 × queue_depth bypasses).
 * - Without `bus`/`overheads`, controller overhead precedes the seek (no overlap) and data crosses at
 *   `interface_mbps`; with them, DiskSim 4.0's bus and controller timing (bus.ts, controller.ts,
 *   docs/disks.md): overheads by hit/miss and last direction, counted from arrival (overlapped at
 *   queue depth > 1, and so is the next media access with the previous bus transfer and completion:
 *   `disk_release_hda`), watermark reconnection, per-block bus time, disconnect and completion
 *   overheads, the write-back buffer ("Fast write level", write-timing.ts).
 * - The seek/head-switch time is the max of both when the head also changes; no separate settle or
 *   write-settle time; no sparing/slipping.
 * - Read-ahead stream: one at a time (the last read miss's segment), evaluated lazily; a read
 *   starting inside its window continues it; a read fully inside any segment is a hit; the segment
 *   acts as a ring once the host consumes it. Partial hits on non-stream segments are misses.
 * - Writes are write-through unless `cache.fast_write` (DiskSim's "Fast write level": a write
 *   completes once buffered, the media write follows; write-timing.ts); no read-modify-write for
 *   sub-sector writes when sector_bytes > 512.
 * - busyNs sums request service intervals (start..end); read-ahead in the background is not busy
 *   time, read-ahead the next request must wait for (readahead_min_kb) is.
 */
import type { DiskModelSpec } from '../../common/spec/schema';
import type { Simulator } from '../core/sim';
import { HddDisk } from './hdd';
import { SsdDisk } from './ssd';
import type { Disk } from './types';

export { DISK_PRESETS, type DiskPreset } from '../../common/disk/presets';
export { DEFAULT_DISK_PRESET, resolveDiskSpec } from '../../common/disk/resolve';
export { characterizeDisk, type DiskCharacterization, seekCurveDistances, seekTimeMs } from './characterize';
export { HddDisk } from './hdd';
export { fitThreePoint, makeSeekFn, meanSeekMs, seekDistanceProb } from './seek';
export { SsdDisk } from './ssd';
export type { Disk, DiskFactory, DiskStats, ServiceInfo } from './types';

export function createDisk(spec: DiskModelSpec, sim: Simulator): Disk {
  return spec.kind === 'hdd' ? new HddDisk(spec, sim) : new SsdDisk(spec, sim);
}
