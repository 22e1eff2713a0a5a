/**
 * The thin Electron main process: one secure window, the IPC bridge to the shared API handler, file
 * dialogs and settings. The simulation runs in worker threads (SessionManager), never here.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, type IpcMainInvokeEvent, ipcMain, session, shell } from 'electron';
import { type CallReply, type EventEnvelope, MAX_BUNDLE_BYTES } from '../common/api';
import { writeFileAtomic } from '../node/bundle/write';
import { createApiHandler } from '../node/session/api-handler';
import { SessionManager } from '../node/session/manager';
import { allowedExternal } from './links';
import { loadSettings, type Settings, saveSettings } from './settings';

const here = dirname(fileURLToPath(import.meta.url));
const rendererIndex = join(here, '..', 'renderer', 'index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;
const preloadPath = join(here, '..', 'preload', 'index.cjs');

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

let settingsFile = '';
let settings: Settings = {};
let win: BrowserWindow | null = null;
const manager = new SessionManager();

function trustedSender(e: IpcMainInvokeEvent): boolean {
  const url = e.senderFrame?.url ?? '';
  return win !== null && e.sender === win.webContents && url.startsWith(rendererUrl.split('#')[0]);
}

/** One path from the host's open dialog, or null when cancelled (or no window). */
async function pickOne(
  title: string,
  properties: ('openFile' | 'openDirectory' | 'createDirectory')[],
): Promise<string | null> {
  if (!win) return null;
  const r = await dialog.showOpenDialog(win, { title, properties });
  return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
}

const call = createApiHandler(manager, {
  async loadSpec() {
    if (!win) return null;
    const r = await dialog.showOpenDialog(win, {
      title: 'Open experiment spec',
      filters: [{ name: 'Experiment spec', extensions: ['json'] }],
      properties: ['openFile'],
    });
    if (r.canceled || r.filePaths.length === 0) return null;
    const file = r.filePaths[0];
    return { name: basename(file), spec: JSON.parse(await readFile(file, 'utf8')) as unknown };
  },
  async saveSpec(spec, suggestedName) {
    if (!win) return false;
    const r = await dialog.showSaveDialog(win, {
      title: 'Save experiment spec',
      defaultPath: `${suggestedName.replace(/[^\w.-]+/g, '_') || 'experiment'}.json`,
      filters: [{ name: 'Experiment spec', extensions: ['json'] }],
    });
    if (r.canceled || !r.filePath) return false;
    await writeFile(r.filePath, `${JSON.stringify(spec, null, 2)}\n`);
    return true;
  },
  async saveResult(result, suggestedName) {
    if (!win) return false;
    const r = await dialog.showSaveDialog(win, {
      title: 'Save experiment result',
      defaultPath: `${suggestedName.replace(/[^\w.-]+/g, '_') || 'experiment'}.result.json`,
      filters: [{ name: 'Experiment result', extensions: ['json'] }],
    });
    if (r.canceled || !r.filePath) return false;
    await writeFile(r.filePath, JSON.stringify(result));
    return true;
  },
  async loadResult() {
    if (!win) return null;
    const r = await dialog.showOpenDialog(win, {
      title: 'Open experiment result',
      filters: [{ name: 'Experiment result', extensions: ['json'] }],
      properties: ['openFile'],
    });
    if (r.canceled || r.filePaths.length === 0) return null;
    const file = r.filePaths[0];
    return { name: basename(file), result: JSON.parse(await readFile(file, 'utf8')) as unknown };
  },
  async saveBundle(bytes, fileName) {
    if (!win) return { saved: false };
    const r = await dialog.showSaveDialog(win, {
      title: 'Export experiment bundle',
      defaultPath: fileName,
      filters: [{ name: 'PV Block Lab bundle', extensions: ['zip'] }],
    });
    if (r.canceled || !r.filePath) return { saved: false };
    // Atomic (temp file + rename), like writeBundle; the bytes were built and read back already.
    await writeFileAtomic(r.filePath, bytes);
    return { saved: true, path: r.filePath };
  },
  pickRealDir: () =>
    pickOne('Folder on the disk to test (the lab writes only its own files there)', [
      'openDirectory',
      'createDirectory',
    ]),
  pickKernelPath: (kind) =>
    kind === 'modules'
      ? pickOne('Modules of the kernel (a lib/modules/RELEASE folder)', ['openDirectory'])
      : kind === 'kernel'
        ? pickOne('Kernel to boot (a bzImage)', ['openFile'])
        : pickOne('QEMU binary (qemu-system-x86_64)', ['openFile']),
  async openBundle() {
    if (!win) return null;
    const r = await dialog.showOpenDialog(win, {
      title: 'Import experiment bundle',
      filters: [{ name: 'PV Block Lab bundle', extensions: ['zip'] }],
      properties: ['openFile'],
    });
    if (r.canceled || r.filePaths.length === 0) return null;
    const file = r.filePaths[0];
    const st = await stat(file);
    if (st.size > MAX_BUNDLE_BYTES) throw new Error(`${basename(file)}: larger than the 64 MiB bundle limit`);
    return { name: basename(file), bytes: new Uint8Array(await readFile(file)) };
  },
  async getLastSpec() {
    return settings.lastSpec ?? null;
  },
  async setLastSpec(spec) {
    settings.lastSpec = spec;
    saveSettings(settingsFile, settings);
  },
});

function createWindow(): void {
  const b = settings.bounds;
  win = new BrowserWindow({
    width: b?.width ?? 1400,
    height: b?.height ?? 900,
    ...(b?.x !== undefined && b?.y !== undefined ? { x: b.x, y: b.y } : {}),
    minWidth: 900,
    minHeight: 600,
    title: 'PV Block Lab',
    show: false,
    webPreferences: {
      // The preload exposes only a generic `call` (zod-validated and sender-checked here) and an
      // event subscription through contextBridge; reviewed with the IPC bridge (Electronegativity).
      preload: preloadPath, // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      // Middle-click would open links in new windows, around setWindowOpenHandler's checks.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  if (settings.maximized) win.maximize();
  win.once('ready-to-show', () => win?.show());
  const remember = () => {
    if (!win) return;
    settings.maximized = win.isMaximized();
    if (!settings.maximized) settings.bounds = win.getBounds();
    saveSettings(settingsFile, settings);
  };
  win.on('close', remember);
  // The renderer's beforeunload cancels the close while the spec has unsaved edits; ask here.
  win.webContents.on('will-prevent-unload', (e) => {
    const opts = {
      type: 'question' as const,
      buttons: ['Discard', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      title: 'Unsaved changes',
      message: 'Discard unsaved changes?',
      detail: 'The spec has been edited since it was loaded or saved.',
    };
    const choice = win ? dialog.showMessageBoxSync(win, opts) : dialog.showMessageBoxSync(opts);
    if (choice === 0) e.preventDefault(); // preventDefault ignores the beforeunload: close anyway
  });
  win.on('closed', () => {
    win = null;
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    // Only the allowlisted documentation pages (links.ts) reach the system browser.
    if (allowedExternal(url)) void shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e, url) => {
    if (url !== win?.webContents.getURL()) e.preventDefault();
  });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());
  void win.loadFile(rendererIndex);
}

app.enableSandbox();
// Tests (and users who want a scratch profile) can point the settings elsewhere.
if (process.env.PVBLK_USER_DATA) app.setPath('userData', process.env.PVBLK_USER_DATA);
app.whenReady().then(() => {
  settingsFile = join(app.getPath('userData'), 'pvblk-settings.json');
  settings = loadSettings(settingsFile);

  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  // The lab needs no permission (camera, notifications, clipboard, …): deny every request and check.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  ipcMain.handle('pvblk:call', async (e, method: unknown, args: unknown): Promise<CallReply> => {
    if (!trustedSender(e)) return { ok: false, error: 'untrusted sender' };
    try {
      return { ok: true, value: (await call(method, args)) ?? null };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  });
  manager.onEvent((env: EventEnvelope) => {
    if (win && !win.isDestroyed()) win.webContents.send('pvblk:event', env);
  });

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (ev, url) => {
    if (!url.startsWith(rendererUrl)) ev.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

app.on('window-all-closed', () => {
  void manager.close();
  if (process.platform !== 'darwin') app.quit();
});
