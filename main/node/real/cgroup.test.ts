/**
 * cgroup hierarchy detection and the lab's leftover cleanup, on fake cgroup trees in a temp folder
 * (plain folders behave like cgroupfs for mkdir/rmdir of empty groups).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CgroupSet, cgroupMounts, cleanCgroupLeftovers, findCgroupRoot } from './cgroup';
import { RealRefusal } from './safety';

const base = mkdtempSync(join(tmpdir(), 'pvblk-cgroup-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function fakeTree(name: string, files: Record<string, string>): string {
  const d = join(base, name);
  mkdirSync(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

const mountLine = (type: string, path: string, opts: string) => `${type} ${path} ${type} ${opts} 0 0`;

describe('cgroup hierarchy detection', () => {
  it('parses cgroup and cgroup2 mounts, unescaping octal escapes', () => {
    const m = cgroupMounts(
      [
        'proc /proc proc rw 0 0',
        mountLine('cgroup', '/sys/fs/cgroup/blkio', 'rw,relatime,blkio'),
        mountLine('cgroup2', '/sys/fs/my\\040cg', 'rw'),
      ].join('\n'),
    );
    expect(m).toEqual([
      { type: 'cgroup', path: '/sys/fs/cgroup/blkio', options: ['rw', 'relatime', 'blkio'] },
      { type: 'cgroup2', path: '/sys/fs/my cg', options: ['rw'] },
    ]);
  });

  it('prefers a cgroup v2 mount whose io controller is enabled for children', () => {
    const v2 = fakeTree('v2ok', {
      'cgroup.controllers': 'cpu io memory',
      'cgroup.subtree_control': 'io memory',
    });
    const v1 = fakeTree('v1ok', { 'cgroup.procs': '', 'blkio.bfq.io_service_bytes': '' });
    const mounts = [mountLine('cgroup', v1, 'rw,blkio'), mountLine('cgroup2', v2, 'rw')].join('\n');
    expect(findCgroupRoot(mounts)).toEqual({ hierarchy: 'v2', root: v2 });
  });

  it('falls back to v1 blkio on a hybrid system whose v2 mount has no io controller', () => {
    const v2 = fakeTree('v2noio', { 'cgroup.controllers': '', 'cgroup.subtree_control': '' });
    const v1 = fakeTree('v1bfq', { 'cgroup.procs': '', 'blkio.bfq.io_service_bytes': '' });
    const mounts = [mountLine('cgroup2', v2, 'rw'), mountLine('cgroup', v1, 'rw,blkio')].join('\n');
    expect(findCgroupRoot(mounts)).toEqual({ hierarchy: 'v1-blkio', root: v1 });
  });

  it('refuses with the reason of every candidate', () => {
    const v2 = fakeTree('v2off', { 'cgroup.controllers': 'io', 'cgroup.subtree_control': 'memory' });
    const v1 = fakeTree('v1none', { 'cgroup.procs': '', 'blkio.throttle.io_serviced': '' });
    const r = findCgroupRoot(
      [mountLine('cgroup2', v2, 'rw'), mountLine('cgroup', v1, 'rw,blkio')].join('\n'),
    );
    expect('why' in r && r.why).toMatch(/io controller is not enabled for child groups/);
    expect('why' in r && r.why).toMatch(/echo \+io/);
    expect('why' in r && r.why).toMatch(/no proportional-weight policy/);
    expect(findCgroupRoot('proc /proc proc rw 0 0')).toEqual({
      why: 'no cgroup filesystem is mounted (/proc/self/mounts)',
    });
    // a v1 mount of other controllers only is not a candidate
    const cpu = fakeTree('v1cpu', { 'cgroup.procs': '' });
    expect(findCgroupRoot(mountLine('cgroup', cpu, 'rw,cpu'))).toEqual({
      why: 'neither a cgroup v2 mount nor a cgroup v1 blkio mount exists',
    });
  });

  it('a group without any weight file is refused, naming the files it looked for', async () => {
    const v1 = fakeTree('v1weightless', { 'cgroup.procs': '', 'blkio.bfq.io_serviced': '' });
    const set = new CgroupSet('zz0001', mountLine('cgroup', v1, 'rw,blkio'));
    expect(set.hierarchy).toBe('v1-blkio');
    expect(() => set.add(0, 100)).toThrow(RealRefusal);
    expect(() => set.add(1, 100)).toThrow(/blkio\.bfq\.weight, blkio\.weight/);
    await set.remove();
    expect(existsSync(set.base)).toBe(false);
  });
});

describe('cgroup leftovers', () => {
  it('removes the groups of dead runs only, and nothing that is not the lab’s', () => {
    const root = fakeTree('leftovers', {});
    // a pid that cannot be alive (above pid_max's ceiling), and this process
    const dead = `${(4194305).toString(36)}abcd`;
    const live = `${process.pid.toString(36)}wxyz`;
    for (const d of [`pvblk-${dead}/vm-0`, `pvblk-${dead}/vm-1`, `pvblk-${live}/vm-0`, 'user-group/vm-0'])
      mkdirSync(join(root, d), { recursive: true });
    const removed = cleanCgroupLeftovers(root);
    expect(removed.sort()).toEqual(
      [
        join(root, `pvblk-${dead}`),
        join(root, `pvblk-${dead}`, 'vm-0'),
        join(root, `pvblk-${dead}`, 'vm-1'),
      ].sort(),
    );
    expect(existsSync(join(root, `pvblk-${live}`, 'vm-0'))).toBe(true);
    expect(existsSync(join(root, 'user-group', 'vm-0'))).toBe(true);
    expect(cleanCgroupLeftovers(join(root, 'absent'))).toEqual([]);
  });
});
