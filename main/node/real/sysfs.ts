/**
 * What the kernel says about the device under DIR: the block device (partitions resolved to their
 * disk), its current I/O scheduler, rotational flag and counters (/sys/block/X/stat). Read-only.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface DeviceInfo {
  /** Disk name (e.g. sda, vda, nvme0n1), or null when DIR is not on a block device (overlay, tmpfs…). */
  device: string | null;
  /** The partition DIR lives on, when it differs from the disk. */
  partition: string | null;
  scheduler: string | null;
  schedulers: string[];
  rotational: boolean | null;
  logicalBlock: number;
  vendor: string | null;
  model: string | null;
  /** /sys/block/X path or null. */
  sysPath: string | null;
  /** The disk's "major:minor" (/sys/block/X/dev), or null. */
  majMin: string | null;
  /** The disk's size in 512-byte sectors (/sys/block/X/size), or null. */
  sectors: number | null;
}

/** A small kernel file's text (sysfs, procfs, cgroupfs), trimmed, or null when it cannot be read. */
export const readText = (p: string): string | null => {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
};
const read = readText;

export function deviceOf(dir: string): DeviceInfo {
  const st = statSync(dir);
  const major = Math.floor(st.dev / 256) & 0xfff;
  const minor = (st.dev & 0xff) | ((Math.floor(st.dev / 4096) & 0xfff00) >>> 0);
  const none: DeviceInfo = {
    device: null,
    partition: null,
    scheduler: null,
    schedulers: [],
    rotational: null,
    logicalBlock: 512,
    vendor: null,
    model: null,
    sysPath: null,
    majMin: null,
    sectors: null,
  };
  const link = `/sys/dev/block/${major}:${minor}`;
  if (!existsSync(link)) return none;
  let p = realpathSync(link);
  let partition: string | null = null;
  if (existsSync(join(p, 'partition'))) {
    partition = basename(p);
    p = dirname(p);
  }
  const disk = basename(p);
  const sys = `/sys/block/${disk}`;
  const schedRaw = read(join(sys, 'queue/scheduler'));
  const schedulers = schedRaw ? schedRaw.split(/\s+/).map((s) => s.replace(/[[\]]/g, '')) : [];
  const current =
    schedRaw?.match(/\[([^\]]+)\]/)?.[1] ?? (schedRaw && !schedRaw.includes(' ') ? schedRaw : null);
  const rot = read(join(sys, 'queue/rotational'));
  return {
    device: disk,
    partition,
    scheduler: current,
    schedulers,
    rotational: rot === null ? null : rot === '1',
    logicalBlock: Number(read(join(sys, 'queue/logical_block_size')) ?? 512) || 512,
    vendor: read(join(sys, 'device/vendor')),
    model: read(join(sys, 'device/model')),
    sysPath: existsSync(sys) ? sys : null,
    majMin: read(join(sys, 'dev')),
    sectors: Number(read(join(sys, 'size'))) || null,
  };
}

export interface DiskStat {
  /** Completed requests (reads + writes). */
  ios: number;
  /** Milliseconds the device had I/O in flight (io_ticks). */
  ioTicksMs: number;
  /** Requests in flight now. */
  inflight: number;
}

/** /sys/block/X/stat (Documentation/block/stat.rst), null when unavailable. */
export function diskStat(sysPath: string | null): DiskStat | null {
  if (!sysPath) return null;
  const s = read(join(sysPath, 'stat'));
  if (!s) return null;
  const f = s.split(/\s+/).map(Number);
  return { ios: f[0] + f[4], ioTicksMs: f[9], inflight: f[8] };
}

/** Kernel thread id of the calling thread (readlink /proc/thread-self → "PID/task/TID"). */
export function threadId(): number {
  try {
    return Number(basename(realpathSync('/proc/thread-self')));
  } catch {
    return -1;
  }
}

/** CPU seconds (user + system) of the calling thread, from /proc/thread-self/stat. */
export function threadCpuSeconds(): number {
  const s = read('/proc/thread-self/stat');
  if (!s) return 0;
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // fields after ")" start at field 3 (state); utime = field 14, stime = field 15
  return (Number(rest[11]) + Number(rest[12])) / 100;
}
