/**
 * Real-disk backend safety that needs no build and no O_DIRECT: system folders and OS roots are
 * refused with the reason (checkDir, checkRealDir), and the API's folder check says the same.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRealDir } from '../session/api-handler';
import { checkDir, RealRefusal, systemFolderReason } from './safety';

const base = mkdtempSync(join(tmpdir(), 'pvblk-safety-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('real-disk target folders', () => {
  it.each([
    ['/', /system folder/],
    ['/etc', /operating system's \/etc/],
    ['/usr', /\/usr/],
    ['/usr/local', /\/usr/],
    ['/boot', /\/boot/],
    ['/var', /system folder/],
    ['/root', /system folder/],
    ['/bin', /\/bin|\/usr/],
    ['/sbin', /\/sbin|\/usr/],
    ['/lib', /librar|\/usr/],
    ['/proc', /pseudo/],
    ['/sys', /pseudo/],
    ['/dev', /pseudo|device/],
    ['/run', /pseudo/],
  ])('refuses %s with the reason', (dir, why) => {
    let err: unknown;
    try {
      checkDir(dir);
    } catch (e) {
      err = e;
    }
    if (err === undefined) throw new Error(`${dir} was accepted`);
    expect(err).toBeInstanceOf(RealRefusal);
    expect((err as Error).message).toMatch(why);
    const answer = checkRealDir(dir);
    expect(answer.ok).toBe(false);
  });

  it('refuses a folder that holds an operating system (a mounted or copied root), accepts a plain one', () => {
    const osRoot = join(base, 'mnt-root');
    mkdirSync(join(osRoot, 'etc'), { recursive: true });
    mkdirSync(join(osRoot, 'usr'), { recursive: true });
    writeFileSync(join(osRoot, 'etc', 'os-release'), 'ID=debian\n');
    expect(() => checkDir(osRoot)).toThrow(/holds an operating system/);
    expect(checkRealDir(osRoot)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/operating system/),
    });
    const plain = join(base, 'plain');
    mkdirSync(plain);
    expect(checkDir(plain)).toBe(plain);
    expect(systemFolderReason(plain)).toBeNull();
    expect(systemFolderReason('/var/tmp')).toBeNull();
  });
});
