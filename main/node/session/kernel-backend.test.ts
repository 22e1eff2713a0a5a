/**
 * The kernel backend behind the API (browser mode and Electron share it): checkKernel's answers
 * (the spec the guest cannot express, a machine without QEMU naming the apt packages), startRun's
 * kernel options at the boundary, a refusal as an inline ('refusal') error event, and Stop while
 * the "guest" runs: no Qemu process is left. The guest here is a stand-in Qemu (a script that
 * answers --version and then waits), so nothing boots; the real boots are kernel.alone.test.ts's.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventEnvelope, KernelCheck, RunEvent } from '../../common/api';
import { cacheDir, cachedTrees } from '../kernel/kernel-package';
import { ApiError, createApiHandler } from './api-handler';
import { SessionManager } from './manager';

const manager = new SessionManager();
const call = createApiHandler(manager);
const dir = mkdtempSync(join(tmpdir(), 'pvblk-kernel-backend-'));
afterAll(async () => {
  await manager.close();
  rmSync(dir, { recursive: true, force: true });
});

const SPEC = {
  name: 'kernel backend',
  duration_s: 1,
  host: { scheduler: 'bfq' },
  vms: [{ name: 'A', threads: [{ name: 'a', pattern: 'sequential', block_kb: 64 }] }],
};
const MISSING = join(dir, 'no-such-qemu');

function events(): { list: RunEvent[]; until: (t: RunEvent['type'][], ms?: number) => Promise<RunEvent> } {
  const list: RunEvent[] = [];
  const waiters: (() => void)[] = [];
  manager.onEvent((e: EventEnvelope) => {
    list.push(e.event);
    for (const w of waiters.splice(0)) w();
  });
  const until = async (types: RunEvent['type'][], ms = 20_000): Promise<RunEvent> => {
    const t0 = Date.now();
    for (;;) {
      const hit = list.find((e) => types.includes(e.type));
      if (hit) return hit;
      if (Date.now() - t0 > ms)
        throw new Error(`no ${types.join('/')} event in ${ms} ms: ${JSON.stringify(list)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  return { list, until };
}

describe('checkKernel', () => {
  it('names the apt packages when QEMU is missing', async () => {
    const r = (await call('checkKernel', [{ spec: SPEC, options: { qemu: MISSING } }])) as KernelCheck;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.spec).toBe(false);
    expect(r.error).toContain(`${MISSING} not found`);
    expect(r.error).toContain('apt-get install qemu-system-x86 busybox-static fio');
  });

  it('refuses a spec the guest cannot express, with the reason, on any machine', async () => {
    const pool = { ...SPEC, vms: [{ ...SPEC.vms[0], mapping: 'pool' }] };
    const r = (await call('checkKernel', [{ spec: pool, options: { qemu: MISSING } }])) as KernelCheck;
    expect(r).toMatchObject({ ok: false, spec: true });
    expect(!r.ok && r.error).toMatch(/vm A: mapping pool cannot run in the guest/);
    const ant = (await call('checkKernel', [
      { spec: { ...SPEC, host: { scheduler: 'anticipatory' } }, options: {} },
    ])) as KernelCheck;
    expect(!ant.ok && ant.error).toMatch(/anticipatory left Linux in 2\.6\.33/);
    const invalid = (await call('checkKernel', [
      { spec: { ...SPEC, duration_s: -1 }, options: {} },
    ])) as KernelCheck;
    expect(invalid).toMatchObject({ ok: false, spec: true });
    expect(!invalid.ok && invalid.error).toMatch(/^invalid spec: duration_s/);
  });

  it('checks its options at the boundary', async () => {
    await expect(call('checkKernel', [{ spec: SPEC, options: { vcpus: 0 } }])).rejects.toThrow(
      /invalid arguments for checkKernel: 0\.options\.vcpus/,
    );
    await expect(call('checkKernel', [{ spec: SPEC, options: { cpus: 2 } }])).rejects.toBeInstanceOf(
      ApiError,
    );
  });
});

describe('pickKernelPath', () => {
  it("is the host's dialog (Electron); browser mode types the path", async () => {
    await expect(call('pickKernelPath', ['kernel'])).rejects.toThrow(/type the path \(browser mode\)/);
    const asked: string[] = [];
    const host = createApiHandler(manager, {
      pickKernelPath: async (kind) => {
        asked.push(kind);
        return kind === 'qemu' ? '/opt/qemu/bin/qemu-system-x86_64' : null;
      },
    });
    expect(await host('pickKernelPath', ['qemu'])).toBe('/opt/qemu/bin/qemu-system-x86_64');
    expect(await host('pickKernelPath', ['modules'])).toBeNull();
    await expect(host('pickKernelPath', ['initrd'])).rejects.toThrow(/invalid arguments for pickKernelPath/);
    expect(asked).toEqual(['qemu', 'modules']);
  });
});

describe('startRun with the kernel backend', () => {
  it('refuses real and kernel at once, and bad options', async () => {
    await expect(
      call('startRun', [{ spec: SPEC, pacing: 'max', real: { dir, sizeGb: 1 }, kernel: {} }]),
    ).rejects.toThrow(/choose one backend/);
    await expect(call('startRun', [{ spec: SPEC, pacing: 'max', kernel: { vcpus: 65 } }])).rejects.toThrow(
      /kernel\.vcpus/,
    );
  });

  it('a machine without QEMU: an inline refusal naming the apt packages', async () => {
    const ev = events();
    const id = await call('startRun', [{ spec: SPEC, pacing: 'max', kernel: { qemu: MISSING } }]);
    expect(typeof id).toBe('string');
    const e = await ev.until(['error', 'done']);
    expect(e).toMatchObject({ type: 'error', refusal: true });
    expect(e.type === 'error' && e.message).toContain('apt-get install qemu-system-x86 busybox-static fio');
  });

  const toolsHere =
    spawnSync('sh', ['-c', 'command -v fio && command -v ldd'], { stdio: 'ignore' }).status === 0 &&
    ['/bin/busybox', '/usr/bin/busybox'].some(existsSync) &&
    cachedTrees().length > 0;
  /** A stand-in Qemu: answers --version, then runs `body` (sh) as the guest. */
  function fakeQemu(name: string, body: string): string {
    const f = join(dir, name);
    writeFileSync(
      f,
      `#!/bin/sh\nif [ "$1" = --version ]; then echo "QEMU emulator version 0.0 (stand-in)"; exit 0; fi\n${body}\n`,
    );
    chmodSync(f, 0o755);
    return f;
  }
  /** Runs `fn` with TCG forced (no KVM probe) and the cached kernel tree as --kernel (nothing fetched). */
  async function withTcg<T>(fn: (kernel: string) => Promise<T>): Promise<T> {
    const accel = process.env.PVBLK_KERNEL_ACCEL;
    process.env.PVBLK_KERNEL_ACCEL = 'tcg';
    try {
      return await fn(join(cacheDir(), cachedTrees().at(-1)!));
    } finally {
      if (accel === undefined) delete process.env.PVBLK_KERNEL_ACCEL;
      else process.env.PVBLK_KERNEL_ACCEL = accel;
    }
  }

  it.skipIf(!toolsHere)(
    'a guest that fails to boot: an inline refusal with its last console lines',
    async () => {
      const qemu = fakeQemu(
        'panic-qemu',
        'echo "Linux version 6.1.0 (stand-in)"; echo "Kernel panic - not syncing: VFS: Unable to mount root fs"; exit 1',
      );
      await withTcg(async (kernel) => {
        const ev = events();
        await call('startRun', [{ spec: SPEC, pacing: 'max', kernel: { qemu, kernel } }]);
        const e = await ev.until(['error', 'done'], 60_000);
        expect(e).toMatchObject({ type: 'error', refusal: true });
        const msg = e.type === 'error' ? e.message : '';
        expect(msg).toMatch(/the guest failed to boot \(qemu exit 1\)/);
        expect(msg).toContain('last console lines:');
        expect(msg).toContain('Kernel panic - not syncing: VFS: Unable to mount root fs');
      });
    },
    90_000,
  );

  it.skipIf(!toolsHere)(
    'Stop while the guest runs: stage events came, then no Qemu process is left',
    async () => {
      const pidFile = join(dir, 'fake-qemu.pid');
      const qemu = fakeQemu('waiting-qemu', `echo $$ > ${pidFile}\nexec sleep 600`);
      await withTcg(async (kernel) => {
        const ev = events();
        const id = (await call('startRun', [
          { spec: SPEC, pacing: 'max', kernel: { qemu, vcpus: 1, kernel } },
        ])) as string;
        const t0 = Date.now();
        while (!existsSync(pidFile) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
        const pid = Number(readFileSync(pidFile, 'utf8'));
        expect(() => process.kill(pid, 0)).not.toThrow();
        const stages = ev.list.flatMap((e) => (e.type === 'stage' ? [e.stage] : []));
        expect(stages).toEqual(expect.arrayContaining(['initramfs', 'boot']));
        expect(ev.list.some((e) => e.type === 'layout')).toBe(true);
        await call('stop', [id]);
        expect(await ev.until(['stopped'])).toEqual({ type: 'stopped' });
        const t1 = Date.now();
        let alive = true;
        while (alive && Date.now() - t1 < 10_000) {
          try {
            process.kill(pid, 0);
            await new Promise((r) => setTimeout(r, 100));
          } catch {
            alive = false;
          }
        }
        expect(alive, 'the stand-in Qemu is gone after Stop').toBe(false);
        expect(manager.active).toBe(0);
      });
    },
    90_000,
  );
});
