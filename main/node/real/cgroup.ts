/**
 * vpid-group on a real host: each VM process in its own cgroup v2 with the VM's weight. The lab
 * only creates and removes its own cgroups (/sys/fs/cgroup/pvblk-<run>/vm-N); it never changes the
 * machine's settings, so when cgroup v2, the io controller or write access is missing it refuses
 * and says why.
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { RealRefusal } from './safety';

const ROOT = '/sys/fs/cgroup';

const read = (p: string): string => {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return '';
  }
};

/** Why vpid-group cannot run here, or null when it can. */
export function cgroupUnavailable(root = ROOT): string | null {
  if (!existsSync(join(root, 'cgroup.controllers')))
    return `cgroup v2 is not mounted at ${root} (no cgroup.controllers: cgroup v1 or none), so VM processes cannot get weighted groups`;
  if (!read(join(root, 'cgroup.controllers')).split(/\s+/).includes('io'))
    return `the io controller is not available in ${root}/cgroup.controllers`;
  if (!read(join(root, 'cgroup.subtree_control')).split(/\s+/).includes('io'))
    return `the io controller is not enabled for child cgroups (${root}/cgroup.subtree_control lacks "io"); the lab does not change it — enable it with: echo +io | sudo tee ${root}/cgroup.subtree_control`;
  try {
    accessSync(root, constants.W_OK);
  } catch {
    return `${root} is not writable by this user (run as root or use a delegated cgroup)`;
  }
  return null;
}

export class CgroupSet {
  readonly base: string;
  private readonly leaves: string[] = [];

  constructor(runId: string, root = ROOT) {
    const why = cgroupUnavailable(root);
    if (why) throw new RealRefusal(`vpid-group: ${why}`);
    this.base = join(root, `pvblk-${runId}`);
    mkdirSync(this.base);
    writeFileSync(join(this.base, 'cgroup.subtree_control'), '+io');
  }

  /** A cgroup for one VM with its weight (io.bfq.weight 1..1000 and io.weight 1..10000 where present). */
  add(name: string, weight: number): string {
    const p = join(this.base, name);
    mkdirSync(p);
    this.leaves.push(p);
    const bfq = join(p, 'io.bfq.weight');
    if (existsSync(bfq)) writeFileSync(bfq, String(Math.max(1, Math.min(1000, weight))));
    const io = join(p, 'io.weight');
    if (existsSync(io)) writeFileSync(io, `default ${Math.max(1, Math.min(10000, weight))}`);
    return p;
  }

  place(cgroup: string, pid: number): void {
    writeFileSync(join(cgroup, 'cgroup.procs'), String(pid));
  }

  /** Remove the lab's cgroups (after their processes exited; a cgroup may stay populated for a moment). */
  async remove(): Promise<void> {
    for (const dir of [...this.leaves.reverse(), this.base]) {
      for (let tries = 0; tries < 50 && existsSync(dir); tries++) {
        try {
          rmdirSync(dir);
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}
