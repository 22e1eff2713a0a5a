/**
 * vpid-group on a real host: each VM process in its own blkio/io cgroup with the VM's weight, the
 * way a host would give each Qemu its own group. Two hierarchies are supported:
 *
 * - cgroup v2 (wherever it is mounted: /sys/fs/cgroup on unified systems, /sys/fs/cgroup/unified
 *   on hybrid ones) when its `io` controller is enabled for children: `io.bfq.weight` (bfq, 1..1000)
 *   and `io.weight` (`default N`, io.cost, 1..10000) where those files exist;
 * - cgroup v1 `blkio` (Documentation/admin-guide/cgroup-v1/blkio-controller.rst): `blkio.bfq.weight`
 *   (bfq, 1..1000) and `blkio.weight` (legacy CFQ, 10..1000, kernels before 5.0) where they exist.
 *
 * The lab only creates and removes its own groups (`<root>/pvblk-<run>/vm-N`); it never enables a
 * controller or changes any other setting, so when neither hierarchy is usable it refuses and says
 * why for each. Groups left by a crashed run (owner pid dead, no process inside) are removed on the
 * next start.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive, RealRefusal, runOwnerPid } from './safety';
import { readText } from './sysfs';

export type CgroupHierarchy = 'v2' | 'v1-blkio';

export interface CgroupRoot {
  hierarchy: CgroupHierarchy;
  /** Mount point the lab creates its groups in. */
  root: string;
}

/** Weight files per hierarchy: name, accepted range, and how the value is written. */
const WEIGHT_FILES: Record<
  CgroupHierarchy,
  { file: string; min: number; max: number; fmt: (w: number) => string }[]
> = {
  v2: [
    { file: 'io.bfq.weight', min: 1, max: 1000, fmt: (w) => String(w) },
    { file: 'io.weight', min: 1, max: 10000, fmt: (w) => `default ${w}` },
  ],
  'v1-blkio': [
    { file: 'blkio.bfq.weight', min: 1, max: 1000, fmt: (w) => String(w) },
    { file: 'blkio.weight', min: 10, max: 1000, fmt: (w) => String(w) },
  ],
};

/** Which scheduler honours a weight file (io.weight: the io.cost controller, any scheduler). */
export const WEIGHT_FILE_SCHEDULER: Record<string, string> = {
  'io.bfq.weight': 'bfq',
  'blkio.bfq.weight': 'bfq',
  'blkio.weight': 'cfq',
  'io.weight': 'io.cost',
};

const read = (p: string): string => readText(p) ?? '';

const words = (p: string): string[] => read(p).split(/\s+/).filter(Boolean);

/** cgroup mounts in a /proc/self/mounts text: [fstype, mount point, options]. */
export function cgroupMounts(mounts: string): { type: string; path: string; options: string[] }[] {
  const out: { type: string; path: string; options: string[] }[] = [];
  for (const line of mounts.split('\n')) {
    const f = line.split(' ');
    if (f.length < 4 || (f[2] !== 'cgroup' && f[2] !== 'cgroup2')) continue;
    // mount points escape spaces etc. as octal (\040)
    const path = f[1].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    out.push({ type: f[2], path, options: f[3].split(',') });
  }
  return out;
}

const writable = (dir: string): boolean => {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/** Why a cgroup v2 mount cannot hold weighted groups, or null when it can. */
export function v2Unusable(root: string): string | null {
  if (!existsSync(join(root, 'cgroup.controllers'))) return `${root} is not a cgroup v2 mount`;
  if (!words(join(root, 'cgroup.controllers')).includes('io'))
    return `cgroup v2 at ${root}: the io controller is not available (it may be bound to the v1 blkio hierarchy)`;
  if (!words(join(root, 'cgroup.subtree_control')).includes('io'))
    return `cgroup v2 at ${root}: the io controller is not enabled for child groups (cgroup.subtree_control lacks "io"); the lab does not change it — enable it with: echo +io | sudo tee ${root}/cgroup.subtree_control`;
  if (!writable(root))
    return `cgroup v2 at ${root} is not writable by this user (run as root or use a delegated cgroup)`;
  return null;
}

/** Why a cgroup v1 blkio mount cannot hold weighted groups, or null when it can. */
export function v1Unusable(root: string): string | null {
  if (!existsSync(join(root, 'cgroup.procs'))) return `${root} is not a cgroup mount`;
  const files = readdirSync(root);
  // bfq's files appear when bfq is loaded; blkio.weight only with legacy CFQ (kernels < 5.0)
  if (!files.some((f) => f.startsWith('blkio.bfq.') || f === 'blkio.weight'))
    return `cgroup v1 blkio at ${root}: no proportional-weight policy (neither bfq's blkio.bfq.* nor CFQ's blkio.weight files; load bfq with: sudo modprobe bfq)`;
  if (!writable(root)) return `cgroup v1 blkio at ${root} is not writable by this user (run as root)`;
  return null;
}

/**
 * The hierarchy vpid-group uses on this machine: a usable cgroup v2 mount first, then a cgroup v1
 * blkio mount; otherwise the reasons each candidate was refused.
 */
export function findCgroupRoot(mounts = read('/proc/self/mounts')): CgroupRoot | { why: string } {
  const reasons: string[] = [];
  const ms = cgroupMounts(mounts);
  for (const m of ms.filter((x) => x.type === 'cgroup2')) {
    const why = v2Unusable(m.path);
    if (!why) return { hierarchy: 'v2', root: m.path };
    reasons.push(why);
  }
  for (const m of ms.filter((x) => x.type === 'cgroup' && x.options.includes('blkio'))) {
    const why = v1Unusable(m.path);
    if (!why) return { hierarchy: 'v1-blkio', root: m.path };
    reasons.push(why);
  }
  if (!ms.length) reasons.push('no cgroup filesystem is mounted (/proc/self/mounts)');
  else if (!reasons.length) reasons.push('neither a cgroup v2 mount nor a cgroup v1 blkio mount exists');
  return { why: reasons.join('; ') };
}

/** Why vpid-group cannot run here, or null when it can. */
export function cgroupUnavailable(mounts?: string): string | null {
  const r = findCgroupRoot(mounts);
  return 'why' in r ? r.why : null;
}

const GROUP_RE = /^pvblk-([a-z0-9]+)$/;

const tryRmdir = (dir: string): boolean => {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
};

/**
 * Remove the lab's groups left by dead runs under `root`: `pvblk-<run>` whose owner pid is dead,
 * with its `vm-N` children, when no process is inside (the kernel refuses to remove populated
 * groups anyway). Returns the groups removed.
 */
export function cleanCgroupLeftovers(root: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = GROUP_RE.exec(n);
    if (!m) continue;
    const owner = runOwnerPid(m[1]);
    if (Number.isNaN(owner) || pidAlive(owner)) continue;
    const base = join(root, n);
    let children: string[] = [];
    try {
      children = readdirSync(base, { withFileTypes: true })
        .filter((d) => d.isDirectory() && /^vm-\d+$/.test(d.name))
        .map((d) => d.name);
    } catch {
      continue;
    }
    for (const c of children) if (tryRmdir(join(base, c))) removed.push(join(base, c));
    if (tryRmdir(base)) removed.push(base);
  }
  return removed;
}

export interface CgroupGroup {
  vm: number;
  path: string;
  /** Weight files written and the values they now read back. */
  weights: Record<string, string>;
}

export class CgroupSet {
  readonly hierarchy: CgroupHierarchy;
  readonly base: string;
  readonly groups: CgroupGroup[] = [];

  constructor(runId: string, mounts?: string) {
    const r = findCgroupRoot(mounts);
    if ('why' in r) throw new RealRefusal(`vpid-group: ${r.why}`);
    this.hierarchy = r.hierarchy;
    this.base = join(r.root, `pvblk-${runId}`);
    mkdirSync(this.base);
    if (r.hierarchy === 'v2') writeFileSync(join(this.base, 'cgroup.subtree_control'), '+io');
  }

  /** A group for VM `vm` with its weight, clamped to each weight file's range. */
  add(vm: number, weight: number): CgroupGroup {
    const path = join(this.base, `vm-${vm}`);
    mkdirSync(path);
    const g: CgroupGroup = { vm, path, weights: {} };
    this.groups.push(g);
    for (const w of WEIGHT_FILES[this.hierarchy]) {
      const f = join(path, w.file);
      if (!existsSync(f)) continue;
      writeFileSync(f, w.fmt(Math.max(w.min, Math.min(w.max, Math.round(weight)))));
      g.weights[w.file] = read(f);
    }
    if (!Object.keys(g.weights).length)
      throw new RealRefusal(
        `vpid-group: ${path} has no weight file (${WEIGHT_FILES[this.hierarchy].map((w) => w.file).join(', ')}); load bfq (sudo modprobe bfq)`,
      );
    return g;
  }

  /** Move a process (all its threads) into a group and check the kernel shows it there. */
  place(g: CgroupGroup, pid: number): void {
    writeFileSync(join(g.path, 'cgroup.procs'), String(pid));
    const inside = words(join(g.path, 'cgroup.procs')).includes(String(pid));
    if (!inside)
      throw new Error(`vpid-group: process ${pid} is not listed in ${g.path}/cgroup.procs after moving it`);
  }

  /** Remove the lab's groups (after their processes exited; a group may stay populated for a moment). */
  async remove(): Promise<void> {
    for (const dir of [...this.groups.map((g) => g.path).reverse(), this.base]) {
      for (let tries = 0; tries < 50 && existsSync(dir); tries++) {
        if (tryRmdir(dir)) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
