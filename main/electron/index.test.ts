/**
 * The Electron main process, with `electron` mocked (no binary needed): the window's security
 * settings, navigation/window-open denial, and the IPC bridge (sender check, zod validation, a run
 * streamed back through webContents.send).
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

type Handler = (e: unknown, ...args: unknown[]) => Promise<unknown>;

const h = vi.hoisted(() => {
  const state = {
    windows: [] as { opts: Record<string, unknown>; webContents: Record<string, unknown> }[],
    handlers: new Map<string, Handler>(),
    sent: [] as { channel: string; msg: unknown }[],
    wcListeners: new Map<string, (...a: unknown[]) => void>(),
    openHandler: null as null | ((d: { url: string }) => { action: string }),
    ready: null as null | (() => void),
    permissionRequest: null as null | ((wc: unknown, perm: string, cb: (ok: boolean) => void) => void),
    permissionCheck: null as null | ((...a: unknown[]) => boolean),
  };
  return state;
});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>;
    constructor(public opts: Record<string, unknown>) {
      this.webContents = {
        send: (channel: string, msg: unknown) => h.sent.push({ channel, msg }),
        setWindowOpenHandler: (f: (d: { url: string }) => { action: string }) => {
          h.openHandler = f;
        },
        on: (ev: string, f: (...a: unknown[]) => void) => h.wcListeners.set(ev, f),
        getURL: () => 'file:///app/index.html',
      };
      h.windows.push(this);
    }
    static getAllWindows() {
      return h.windows;
    }
    once() {}
    on() {}
    maximize() {}
    isDestroyed() {
      return false;
    }
    loadFile() {
      return Promise.resolve();
    }
  }
  const app = {
    enableSandbox: vi.fn(),
    setPath: vi.fn(),
    whenReady: () =>
      new Promise<void>((r) => {
        h.ready = r;
      }),
    getPath: () => join(tmpdir(), 'pvblk-electron-test-userdata'),
    on: vi.fn(),
    quit: vi.fn(),
  };
  return {
    app,
    BrowserWindow,
    dialog: {},
    shell: { openExternal: vi.fn() },
    ipcMain: { handle: (ch: string, f: Handler) => h.handlers.set(ch, f) },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: vi.fn() },
        setPermissionRequestHandler: (f: unknown) => {
          h.permissionRequest = f as typeof h.permissionRequest;
        },
        setPermissionCheckHandler: (f: unknown) => {
          h.permissionCheck = f as typeof h.permissionCheck;
        },
      },
    },
  };
});

const here = dirname(fileURLToPath(import.meta.url));
const rendererUrl = pathToFileURL(join(here, '..', 'renderer', 'index.html')).href;
const workerBuilt = existsSync(join(here, '..', '..', 'out', 'main', 'sim-worker.js'));

describe('electron main', () => {
  it('creates a sandboxed, isolated window and guards the IPC bridge', async () => {
    await import('./index');
    h.ready?.();
    await new Promise((r) => setTimeout(r, 10));
    expect(h.windows).toHaveLength(1);
    const win = h.windows[0];
    const prefs = win.opts.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
    });
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/);
    expect(prefs.disableBlinkFeatures).toBe('Auxclick');
    const electron = await import('electron');
    const openExternal = electron.shell.openExternal as unknown as ReturnType<typeof vi.fn>;
    expect(h.openHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(h.openHandler?.({ url: 'https://docs.kernel.org.evil.example/block/' })).toEqual({
      action: 'deny',
    });
    expect(h.openHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(openExternal).not.toHaveBeenCalled();
    expect(h.openHandler?.({ url: 'https://docs.kernel.org/block/bfq-iosched.html' })).toEqual({
      action: 'deny',
    });
    expect(openExternal).toHaveBeenCalledWith('https://docs.kernel.org/block/bfq-iosched.html');
    let granted: boolean | null = null;
    h.permissionRequest?.({}, 'media', (ok) => {
      granted = ok;
    });
    expect(granted).toBe(false);
    expect(h.permissionCheck?.({}, 'clipboard-read', 'file://', {})).toBe(false);
    const prevent = vi.fn();
    h.wcListeners.get('will-navigate')?.({ preventDefault: prevent }, 'https://evil.example/');
    expect(prevent).toHaveBeenCalled();

    const call = h.handlers.get('pvblk:call')!;
    const trusted = { sender: win.webContents, senderFrame: { url: rendererUrl } };
    const presets = (await call(trusted, 'listPresets', [])) as { ok: boolean; value: { name: string }[] };
    expect(presets.ok).toBe(true);
    expect(presets.value.length).toBeGreaterThan(0);
    expect(
      await call({ sender: {}, senderFrame: { url: 'https://evil.example/' } }, 'listPresets', []),
    ).toEqual({
      ok: false,
      error: 'untrusted sender',
    });
    const bad = (await call(trusted, 'startRun', [{ spec: {}, pacing: 3 }])) as {
      ok: boolean;
      error: string;
    };
    expect(bad.ok).toBe(false);
    expect(bad.error).toContain('pacing');
    expect(((await call(trusted, 'require', ['fs'])) as { ok: boolean }).ok).toBe(false);

    if (!workerBuilt) return;
    const spec = (
      (await call(trusted, 'getPreset', ['native-random-fifo'])) as { value: Record<string, unknown> }
    ).value;
    const started = (await call(trusted, 'startRun', [
      { spec: { ...spec, duration_s: 2 }, pacing: 'max' },
    ])) as {
      ok: boolean;
      value: string;
    };
    expect(started.ok).toBe(true);
    await vi.waitFor(
      () => {
        const types = h.sent.map((s) => (s.msg as { event: { type: string } }).event.type);
        expect(types).toContain('done');
        expect(types).toContain('samples');
      },
      { timeout: 30_000 },
    );
    expect(h.sent.every((s) => s.channel === 'pvblk:event')).toBe(true);
  });
});
