/**
 * Where the lab's files really are on the device, so a real run's seek pattern is drawn in device
 * sectors like the simulator's: the file's extents from `filefrag -v -b512` (e2fsprogs; the FIEMAP
 * ioctl, which ext4, xfs and btrfs answer), shifted by the partition's start sector
 * (/sys/class/block/PART/start). When that fails (no filefrag, a filesystem without FIEMAP, an
 * extent without a known location) the files are laid end to end in a logical space instead and
 * the run is flagged, never guessed.
 */
import { execFileSync } from 'node:child_process';
import { readText } from './sysfs';

/** One extent, in 512-byte sectors: file sector `logical` is device sector `physical`. */
export interface Extent {
  logical: number;
  physical: number;
  length: number;
}

/**
 * Extents in `filefrag -v -b512` output, or null when any extent has no known location
 * (unknown_loc, delalloc, inline, encoded) or nothing could be read.
 */
export function parseFilefrag(text: string): Extent[] | null {
  const out: Extent[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+(\d+)\.\.\s*(\d+):\s+(\d+):\s*(?:\d+:)?\s*(.*)$/.exec(line);
    if (!m) continue;
    const flags = m[6];
    if (/unknown_loc|delalloc|inline|encoded|not_aligned/.test(flags)) return null;
    out.push({ logical: Number(m[1]), physical: Number(m[3]), length: Number(m[5]) });
  }
  return out.length ? out.sort((a, b) => a.logical - b.logical) : null;
}

/** The file's extents (synced first), or null when they cannot be known. */
export function fileExtents(path: string): Extent[] | null {
  try {
    const text = execFileSync('filefrag', ['-s', '-v', '-b512', path], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    });
    return parseFilefrag(text);
  } catch {
    return null;
  }
}

/** First sector of a partition on its disk (0 for a whole disk or when unknown). */
export function partitionStart(partition: string | null): number {
  if (!partition) return 0;
  return Number(readText(`/sys/class/block/${partition}/start`)) || 0;
}

/** Device sector of byte `offset` of a file with these extents (-1 in a hole). */
export function sectorOf(extents: Extent[], offset: number): number {
  const s = Math.floor(offset / 512);
  let lo = 0;
  let hi = extents.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = extents[mid];
    if (s < e.logical) hi = mid - 1;
    else if (s >= e.logical + e.length) lo = mid + 1;
    else return e.physical + (s - e.logical);
  }
  return -1;
}

export interface FilePlacement {
  name: string;
  bytes: number;
  /** Device sectors (partition start included): lowest and one past the highest. */
  first: number;
  end: number;
  extents: number;
}

/**
 * The device-sector placement of a run's files: `physical` when every file's extents are known,
 * else `logical` (files end to end from sector 0, in the given order).
 */
export class Placement {
  readonly physical: boolean;
  readonly files: FilePlacement[];
  private readonly maps: Extent[][];

  constructor(files: { path: string; name: string; bytes: number }[], partition: string | null) {
    const found = files.map((f) => fileExtents(f.path));
    this.physical = found.every((e) => e !== null);
    const start = partitionStart(partition);
    let next = 0;
    this.maps = files.map((f, i) => {
      const e = this.physical ? (found[i] as Extent[]) : null;
      if (e) return e.map((x) => ({ ...x, physical: x.physical + start }));
      const logical = [{ logical: 0, physical: next, length: Math.ceil(f.bytes / 512) }];
      next += Math.ceil(f.bytes / 512);
      return logical;
    });
    this.files = files.map((f, i) => {
      const m = this.maps[i];
      return {
        name: f.name,
        bytes: f.bytes,
        first: Math.min(...m.map((x) => x.physical)),
        end: Math.max(...m.map((x) => x.physical + x.length)),
        extents: m.length,
      };
    });
  }

  /** Device sector of byte `offset` of file `file` (index in the constructor's list). */
  sector(file: number, offset: number): number {
    return sectorOf(this.maps[file], offset);
  }
}
