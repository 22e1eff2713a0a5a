import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// the built CLI (npm run build), as the user runs it
const BIN = join(__dirname, '..', '..', '..', 'bin', 'pvblk.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'pvblk-kernel-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (s: object) => {
  const f = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify({ name: 'k', duration_s: 2, ...s }));
  return f;
};

describe('pvblk kernel: bad input never boots a guest', () => {
  it('names an unknown preset and bad arguments (exit 2, no stack trace)', () => {
    const a = run('kernel', '--preset', 'nope');
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--preset: unknown preset "nope"/);
    const b = run('kernel', '--preset', 'paper-fairness', '--vcpus', '0');
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--vcpus: expected an integer 1\.\.64/);
    expect(b.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a spec the guest cannot express, with the reason (exit 2)', () => {
    const pool = run(
      'kernel',
      spec({ host: { scheduler: 'bfq' }, vms: [{ name: 'P', mapping: 'pool', threads: [{ name: 'r' }] }] }),
    );
    expect(pool.status).toBe(2);
    expect(pool.stderr).toMatch(/pvblk kernel: vm P: mapping pool cannot run in the guest/);
    const as = run('kernel', spec({ host: { scheduler: 'anticipatory' }, native: [{ name: 'r' }] }));
    expect(as.status).toBe(2);
    expect(as.stderr).toMatch(/anticipatory left Linux in 2\.6\.33/);
    expect(as.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the missing QEMU and its apt packages (exit 1)', () => {
    const r = spawnSync(
      process.execPath,
      [BIN, 'kernel', spec({ host: { scheduler: 'bfq' }, native: [{ name: 'r' }] })],
      {
        encoding: 'utf8',
        env: { ...process.env, PATH: '/nonexistent' },
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /qemu-system-x86_64 not found.*apt-get install qemu-system-x86 busybox-static fio/,
    );
  });

  it('an invalid spec names the field (exit 2)', () => {
    const r = run('kernel', spec({ duration_s: -1 }));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/duration_s/);
  });
});
