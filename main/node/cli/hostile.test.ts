/**
 * The CLI under hostile or faulty input (the built CLI, as a user runs it): inherited names as
 * presets, a 10^8-run matrix, specs whose work or memory is over the limits, output into a missing,
 * non-folder or read-only place (checked before simulating), a port in use, a huge invalid spec.
 * Every case exits 2 with one message naming the field, path or port, and never prints a stack.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'pvblk.mjs');
const pvblk = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
const dir = mkdtempSync(join(tmpdir(), 'pvblk-cli-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const STACK = /\n\s+at [\w.<]/;
/** A valid spec far over the cost limits: a week at 1 ms samples, 1000 QD32 random readers. */
const WEEK_SPEC = {
  name: 'week',
  duration_s: 86_400 * 7,
  sample_interval_ms: 1,
  disk: { preset: 'ssd-sata' },
  native: [{ name: 'r', count: 1000, size_gb: 0.1, iodepth: 32, block_kb: 4, pattern: 'random' }],
};

/** Exit 2, a message matching `re` on stderr, no stack trace anywhere. */
function refused(r: ReturnType<typeof pvblk>, re: RegExp): void {
  expect(r.stderr).toMatch(re);
  expect(r.status).toBe(2);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stdout).not.toMatch(STACK);
}

describe('pvblk: names from input', () => {
  it.each(['constructor', '__proto__', 'toString'])('preset %s is an unknown preset (exit 2)', (name) => {
    refused(pvblk('preset', name), /unknown preset/);
    refused(pvblk('run', '--preset', name), /unknown preset/);
    refused(pvblk('disk', '--preset', name), /unknown preset/);
    refused(
      pvblk('run', file(`disk-${name}.json`, { name: 'x', duration_s: 1, disk: { preset: name } })),
      /disk/,
    );
  });

  it('a matrix key through __proto__ is refused, naming the key', () => {
    const spec = { name: 'x', duration_s: 1, vms: [{ name: 'a' }], matrix: { '__proto__.polluted': [1] } };
    refused(pvblk('run', file('proto.json', spec)), /matrix\.__proto__\.polluted/);
  });
});

describe('pvblk: work and memory limits', () => {
  it('refuses a 10^8-run matrix without building it', () => {
    const keys = ['iodepth', 'think_ms', 'block_kb', 'ioprio', 'count', 'offset_gb', 'start_s', 'rwmix_read'];
    const matrix = Object.fromEntries(
      keys.map((k) => [`vms.0.threads.0.${k}`, [1, 2, 3, 4, 5, 6, 7, 1, 2, 3]]),
    );
    const spec = { name: 'm', duration_s: 1, vms: [{ name: 'a', threads: [{ name: 't' }] }], matrix };
    refused(pvblk('run', file('matrix.json', spec)), /100000000 runs; at most 1000/);
  });

  it('refuses a spec over the limits with the estimate and --allow-large, without simulating', () => {
    const r = pvblk('run', file('week.json', WEEK_SPEC));
    refused(r, /--allow-large/);
    expect(r.stderr).toMatch(/estimate: .*requests.*samples × .*series.*trace points.*memory/);
    expect(r.stdout).toBe('');
  });

  it('pvblk real holds its follow-up simulation to the same limits, before touching the disk', () => {
    const spec = WEEK_SPEC;
    const target = join(dir, 'real-target');
    const r = pvblk('real', file('week-real.json', spec), '--dir', target);
    refused(r, /week-real\.json: too large to run without --allow-large/);
    expect(r.stderr).toMatch(/estimate: .*requests/);
    expect(r.stdout).toBe('');
    // nothing was made: not even the folder --dir names
    expect(existsSync(target)).toBe(false);
    // the same with --json --out (the simulation runs for the bundle); not with --no-sim (no simulation)
    refused(
      pvblk('real', file('week-real.json', spec), '--dir', target, '--json', '--out', join(dir, 'w.zip')),
      /--allow-large/,
    );
    const noSim = pvblk('real', file('week-real.json', spec), '--dir', join(dir, 'no', 'such'), '--no-sim');
    refused(noSim, /does not exist/);
    expect(noSim.stderr).not.toMatch(/allow-large/);
  });
});

describe('pvblk: a worker out of memory', () => {
  it('a run past its worker heap cap is one line naming the run, exit 2, no stack', () => {
    // 8192 threads need well over 32 MiB of heap; the cap is lowered so the test stays small
    const spec = {
      name: 'oom',
      duration_s: 0.2,
      disk: { preset: 'ssd-sata' },
      host: { scheduler: 'noop' },
      native: Array.from({ length: 8 }, (_, i) => ({
        name: `r${i}`,
        count: 1024,
        size_gb: 0.01,
        block_kb: 4,
        pattern: 'random',
      })),
      matrix: { seed: [1, 2] },
    };
    const r = spawnSync(process.execPath, [BIN, 'run', file('oom.json', spec), '--jobs', '2'], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PVBLK_WORKER_HEAP_MB: '32' },
    });
    refused(
      r,
      /^pvblk: run [12] of 2 \(seed=[12]\): the simulation ran out of memory \(worker heap cap 32 MiB; PVBLK_WORKER_HEAP_MB sets it\)/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  }, 120_000);
});

describe('pvblk: output paths and ports', () => {
  it('run --out into a missing folder fails before simulating, naming the path', () => {
    const out = join(dir, 'no-such-folder', 'x.pvblk.zip');
    const r = pvblk('run', '--preset', 'native-random-fifo', '--out', out);
    refused(r, /no-such-folder.*does not exist/);
    expect(r.stdout).toBe('');
  });

  it('run --out under a file or onto a folder is refused, naming the path', () => {
    const f = file('a-file', 'x');
    refused(
      pvblk('run', '--preset', 'native-random-fifo', '--out', join(f, 'x.zip')),
      /a-file.*not a folder/,
    );
    refused(pvblk('run', '--preset', 'native-random-fifo', '--out', dir), /is a folder/);
  });

  it('a read-only folder (EROFS) for --out and for real --dir is one line naming it', (ctx) => {
    const src = join(dir, 'ro-src');
    const ro = join(dir, 'ro');
    mkdirSync(src);
    mkdirSync(ro);
    const m = spawnSync('sh', ['-c', `mount --bind '${src}' '${ro}' && mount -o remount,bind,ro '${ro}'`], {
      encoding: 'utf8',
    });
    if (m.status !== 0) {
      console.log(`read-only mount not possible here (${m.stderr.trim()}); EROFS case skipped`);
      ctx.skip();
      return;
    }
    try {
      refused(pvblk('run', '--preset', 'native-random-fifo', '--out', join(ro, 'x.pvblk.zip')), /EROFS/);
      refused(pvblk('real', '--preset', 'native-random-fifo', '--dir', ro), /ro: cannot write there \(EROFS/);
    } finally {
      spawnSync('umount', [ro]);
    }
  });

  it('serve on a port in use exits 2 naming the port', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await new Promise<ReturnType<typeof pvblk>>((resolve) => {
        // spawnSync would block the blocker's event loop, which is fine: listen() only needs the port bound.
        resolve(pvblk('serve', '--port', String(port)));
      });
      refused(r, new RegExp(`port ${port}: already in use`));
    } finally {
      blocker.close();
    }
  });
});

describe('pvblk: error output is capped', () => {
  it('a huge invalid spec prints the first errors and a count, not every one', () => {
    const threads = Array.from({ length: 20_000 }, (_, i) => ({
      name: `t${i}`,
      block_kb: 'big',
      iodepth: -1,
    }));
    const r = pvblk('run', file('huge-invalid.json', { name: 'x', duration_s: 1, native: threads }));
    refused(r, /more errors \(40000 in all\)/);
    expect(r.stderr.split('\n').length).toBeLessThan(60);
  });
});
