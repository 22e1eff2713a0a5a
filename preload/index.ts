/** The contextBridge API and nothing else: a generic call and an event subscription. */
import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';

type Reply = { ok: true; value: unknown } | { ok: false; error: string };

const bridge = {
  async call(method: string, args: unknown[]): Promise<unknown> {
    if (typeof method !== 'string' || !Array.isArray(args)) throw new Error('invalid call');
    const r = (await ipcRenderer.invoke('pvblk:call', method, args)) as Reply;
    if (!r.ok) throw new Error(r.error);
    return r.value;
  },
  onEvent(listener: (e: unknown) => void): () => void {
    const h = (_e: IpcRendererEvent, msg: unknown) => listener(msg);
    ipcRenderer.on('pvblk:event', h);
    return () => {
      ipcRenderer.removeListener('pvblk:event', h);
    };
  },
};

contextBridge.exposeInMainWorld('pvblk', bridge);
