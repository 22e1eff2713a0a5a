/**
 * Picks the transport: the Electron preload bridge (`window.pvblk`) when present, otherwise HTTP +
 * WebSocket to `pvblk serve` with the token from the page URL. The rest of the renderer only sees
 * `PvblkApi`.
 */
import {
  type ActivityWindowReply,
  type ApiMethod,
  type CallReply,
  type DiskCharacterization,
  type DiskPresetInfo,
  type EventEnvelope,
  EventEnvelopeSchema,
  type ExportBundleReply,
  type ImportConfirm,
  type ImportedBundle,
  type KernelCheck,
  type Pacing,
  type PresetInfo,
  type PvblkApi,
  type PvblkBridge,
  type RealDirCheck,
  type RunResult,
  type TracePreviewReply,
  type TraceValidationReply,
  type ValidationResult,
  type VerifyReply,
} from '@common/api';

type Caller = (method: ApiMethod, args: unknown[]) => Promise<unknown>;
type Subscribe = (listener: (e: unknown) => void) => () => void;

const LAST_SPEC_KEY = 'pvblk.lastSpec';

function build(
  transport: PvblkApi['transport'],
  call: Caller,
  subscribe: Subscribe,
  overrides: Partial<PvblkApi> = {},
): PvblkApi {
  const api: PvblkApi = {
    transport,
    listPresets: () => call('listPresets', []) as Promise<PresetInfo[]>,
    getPreset: (name) => call('getPreset', [name]),
    validateSpec: (spec) => call('validateSpec', [spec]) as Promise<ValidationResult>,
    startRun: (req) => call('startRun', [req]) as Promise<string>,
    checkRealDir: (dir) => call('checkRealDir', [dir]) as Promise<RealDirCheck>,
    checkKernel: (req) => call('checkKernel', [req]) as Promise<KernelCheck>,
    pickKernelPath: async (kind) => (await call('pickKernelPath', [kind])) as string | null,
    previewTrace: (req) => call('previewTrace', [req]) as Promise<TracePreviewReply>,
    validateTrace: (req) => call('validateTrace', [req]) as Promise<TraceValidationReply>,
    pickRealDir: async () => (await call('pickRealDir', [])) as string | null,
    setPacing: async (id, p: Pacing) => void (await call('setPacing', [id, p])),
    pause: async (id) => void (await call('pause', [id])),
    resume: async (id) => void (await call('resume', [id])),
    stop: async (id) => void (await call('stop', [id])),
    characterizeDisk: (spec) => call('characterizeDisk', [spec]) as Promise<DiskCharacterization>,
    listDiskPresets: () => call('listDiskPresets', []) as Promise<DiskPresetInfo[]>,
    loadSpec: async () => (await call('loadSpec', [])) as { name: string; spec: unknown } | null,
    saveSpec: async (spec, name) => Boolean(await call('saveSpec', [spec, name])),
    saveResult: async (result, name) => Boolean(await call('saveResult', [result, name])),
    loadResult: async () => (await call('loadResult', [])) as { name: string; result: unknown } | null,
    getLastSpec: () => call('getLastSpec', []),
    setLastSpec: async (spec) => void (await call('setLastSpec', [spec])),
    exportBundle: async (req) => {
      const reply = (await call('exportBundle', [req])) as ExportBundleReply;
      // The Node side either saved it (Electron dialog) or handed back the zip to download.
      if ('base64' in reply)
        return downloadBytes(base64ToBytes(reply.base64), reply.fileName, 'application/zip');
      return reply.saved;
    },
    importBundle: async (confirmed) =>
      (await call('importBundle', confirmed ? [confirmed] : [])) as ImportedBundle | ImportConfirm | null,
    verifyImport: (req) => call('verifyImport', [req]) as Promise<VerifyReply>,
    bundleRun: (id, index) => call('bundleRun', [id, index]) as Promise<RunResult>,
    activityWindow: (req) => call('activityWindow', [req]) as Promise<ActivityWindowReply>,
    onEvent(listener) {
      return subscribe((raw) => {
        const r = EventEnvelopeSchema.safeParse(raw);
        if (r.success) listener(raw as EventEnvelope);
        else console.warn('pvblk: dropped malformed event', r.error.issues[0]);
      });
    },
    ...overrides,
  };
  return api;
}

export function electronApi(bridge: PvblkBridge): PvblkApi {
  return build(
    'electron',
    (m, a) => bridge.call(m, a),
    (l) => bridge.onEvent(l),
  );
}

/** Browser file picker → parsed JSON. */
function pickJsonFile(): Promise<{ name: string; spec: unknown } | null> {
  return pickJson().then((r) => (r ? { name: r.name, spec: r.value } : null));
}

function pickJson(): Promise<{ name: string; value: unknown } | null> {
  return new Promise((resolve, reject) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = '.json,application/json';
    input.addEventListener('change', async () => {
      const f = input.files?.[0];
      if (!f) return resolve(null);
      try {
        resolve({ name: f.name, value: JSON.parse(await f.text()) as unknown });
      } catch (err) {
        reject(new Error(`${f.name} is not valid JSON: ${(err as Error).message}`));
      }
    });
    input.addEventListener('cancel', () => resolve(null));
    input.click();
  });
}

function downloadJson(spec: unknown, name: string, suffix = '.json', indent = 2): boolean {
  const blob = new Blob([`${JSON.stringify(spec, null, indent)}\n`], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${name.replace(/[^\w.-]+/g, '_') || 'experiment'}${suffix}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  return true;
}

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function downloadBytes(bytes: Uint8Array<ArrayBuffer>, fileName: string, type: string): boolean {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type }));
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  return true;
}

/** Browser file picker → the file's bytes as base64 (for importBundle). */
function pickBase64(accept: string): Promise<{ name: string; base64: string } | null> {
  return new Promise((resolve, reject) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.setAttribute('data-testid', 'bundle-file-input');
    input.style.display = 'none';
    document.body.append(input);
    const done = () => input.remove();
    input.addEventListener('change', () => {
      const f = input.files?.[0];
      done();
      if (!f) return resolve(null);
      const reader = new FileReader();
      reader.onload = () => {
        const url = String(reader.result);
        resolve({ name: f.name, base64: url.slice(url.indexOf(',') + 1) });
      };
      reader.onerror = () => reject(new Error(`${f.name}: could not be read`));
      reader.readAsDataURL(f);
    });
    input.addEventListener('cancel', () => {
      done();
      resolve(null);
    });
    input.click();
  });
}

export function browserApi(base: URL, token: string): PvblkApi {
  const call: Caller = async (method, args) => {
    const res = await fetch(new URL(`/api/${method}`, base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pvblk-token': token },
      body: JSON.stringify({ args }),
    });
    let reply: CallReply;
    try {
      reply = (await res.json()) as CallReply;
    } catch {
      throw new Error(`${method}: HTTP ${res.status}`);
    }
    if (!reply.ok) throw new Error(reply.error);
    return reply.value;
  };

  const listeners = new Set<(e: unknown) => void>();
  let ws: WebSocket | null = null;
  let retry = 250;
  let opened: () => void = () => {};
  let open = new Promise<void>((r) => {
    opened = r;
  });
  const connect = () => {
    const u = new URL('/api/events', base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('token', token);
    ws = new WebSocket(u);
    ws.onopen = () => {
      retry = 250;
      opened();
    };
    ws.onmessage = (m) => {
      let data: unknown;
      try {
        data = JSON.parse(String(m.data));
      } catch {
        return;
      }
      for (const l of listeners) l(data);
    };
    ws.onclose = () => {
      ws = null;
      open = new Promise<void>((r) => {
        opened = r;
      });
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  };
  connect();

  return build(
    'browser',
    call,
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    {
      // Events are only delivered to connected sockets: connect before starting a run.
      startRun: async (req) => {
        await Promise.race([open, new Promise((r) => setTimeout(r, 3000))]);
        return (await call('startRun', [req])) as string;
      },
      loadSpec: pickJsonFile,
      saveSpec: async (spec, name) => downloadJson(spec, name),
      saveResult: async (result, name) => downloadJson(result, name, '.result.json', 0),
      loadResult: () => pickJson().then((r) => (r ? { name: r.name, result: r.value } : null)),
      importBundle: async (confirmed) => {
        if (confirmed) return (await call('importBundle', [confirmed])) as ImportedBundle | ImportConfirm;
        const f = await pickBase64('.zip,application/zip');
        if (!f) return null;
        return (await call('importBundle', [{ base64: f.base64, name: f.name }])) as
          | ImportedBundle
          | ImportConfirm;
      },
      getLastSpec: async () => {
        const s = localStorage.getItem(LAST_SPEC_KEY);
        try {
          return s ? (JSON.parse(s) as unknown) : null;
        } catch {
          return null;
        }
      },
      setLastSpec: async (spec) => localStorage.setItem(LAST_SPEC_KEY, JSON.stringify(spec)),
    },
  );
}

export function createApi(): PvblkApi {
  if (window.pvblk) return electronApi(window.pvblk);
  const token = new URLSearchParams(location.search).get('token') ?? '';
  return browserApi(new URL(location.origin), token);
}
