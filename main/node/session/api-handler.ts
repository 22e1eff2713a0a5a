/**
 * The Node side of the API contract: validates every call (method name and argument tuple, with
 * zod) and dispatches it. Shared by the Electron IPC wiring and the browser-mode server.
 */
import { API_ARGS, ApiMethodSchema, type PresetInfo, type ValidationResult } from '../../common/api';
import { DiskSpecSchema } from '../../common/spec/schema';
import {
  characterizeDisk,
  DEFAULT_PRESET,
  DISK_PRESETS,
  EXPERIMENT_PRESETS,
  expandMatrix,
  resolveDiskSpec,
  validateSpec,
} from './engine';
import type { SessionManager } from './manager';

/** Host-specific methods (file dialogs, settings); absent in browser mode, where the renderer does them. */
export interface HostServices {
  loadSpec?(): Promise<{ name: string; spec: unknown } | null>;
  saveSpec?(spec: unknown, suggestedName: string): Promise<boolean>;
  saveResult?(result: unknown, suggestedName: string): Promise<boolean>;
  loadResult?(): Promise<{ name: string; result: unknown } | null>;
  getLastSpec?(): Promise<unknown>;
  setLastSpec?(spec: unknown): Promise<void>;
}

export class ApiError extends Error {}

/** The presets, the default experiment first. */
export function listPresets(): PresetInfo[] {
  const entries = Object.entries(EXPERIMENT_PRESETS);
  entries.sort((a, b) => Number(b[0] === DEFAULT_PRESET) - Number(a[0] === DEFAULT_PRESET));
  return entries.map(([name, p]) => ({
    name,
    title: p.title,
    description: p.description,
    matrix: p.spec.matrix !== undefined && Object.keys(p.spec.matrix).length > 0,
  }));
}

export function checkSpec(spec: unknown): ValidationResult {
  const v = validateSpec(spec);
  if (!v.ok) return { ok: false, errors: v.errors };
  return { ok: true, runs: expandMatrix(v.spec).length };
}

export function createApiHandler(manager: SessionManager, host: HostServices = {}) {
  return async function call(method: unknown, rawArgs: unknown): Promise<unknown> {
    const m = ApiMethodSchema.safeParse(method);
    if (!m.success) throw new ApiError(`unknown method ${JSON.stringify(method)}`);
    const parsed = API_ARGS[m.data].safeParse(rawArgs ?? []);
    if (!parsed.success) {
      throw new ApiError(
        `invalid arguments for ${m.data}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`,
      );
    }
    const a = parsed.data as unknown[];
    switch (m.data) {
      case 'listPresets':
        return listPresets();
      case 'getPreset': {
        const p = EXPERIMENT_PRESETS[a[0] as string];
        if (!p || !Object.hasOwn(EXPERIMENT_PRESETS, a[0] as string))
          throw new ApiError(`unknown preset ${a[0]}`);
        return structuredClone(p.spec);
      }
      case 'validateSpec':
        return checkSpec(a[0]);
      case 'startRun': {
        const req = a[0] as { spec: unknown; pacing: 'max' | 1 | 10 | 100 };
        const v = checkSpec(req.spec);
        if (!v.ok)
          throw new ApiError(`invalid spec: ${v.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
        return manager.start(req.spec, req.pacing);
      }
      case 'setPacing':
        manager.setPacing(a[0] as string, a[1] as 'max' | 1 | 10 | 100);
        return null;
      case 'pause':
        manager.pause(a[0] as string);
        return null;
      case 'resume':
        manager.resume(a[0] as string);
        return null;
      case 'stop':
        manager.stop(a[0] as string);
        return null;
      case 'characterizeDisk': {
        // Accepts a whole experiment spec (its `disk` is used) or a disk spec / {preset}.
        const raw = a[0] as { disk?: unknown } | null;
        const disk = DiskSpecSchema.safeParse(
          raw && typeof raw === 'object' && 'disk' in raw ? raw.disk : raw,
        );
        if (!disk.success) {
          throw new ApiError(
            `invalid disk: ${disk.error.issues.map((i) => `disk.${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        }
        return characterizeDisk(resolveDiskSpec(disk.data));
      }
      case 'listDiskPresets':
        return Object.entries(DISK_PRESETS).map(([name, p]) => ({
          name,
          description: p.description,
          spec: structuredClone(p.spec),
        }));
      case 'loadSpec':
        if (!host.loadSpec) throw new ApiError('loadSpec is handled by the browser');
        return host.loadSpec();
      case 'saveSpec':
        if (!host.saveSpec) throw new ApiError('saveSpec is handled by the browser');
        return host.saveSpec(a[0], a[1] as string);
      case 'saveResult':
        if (!host.saveResult) throw new ApiError('saveResult is handled by the browser');
        return host.saveResult(a[0], a[1] as string);
      case 'loadResult':
        if (!host.loadResult) throw new ApiError('loadResult is handled by the browser');
        return host.loadResult();
      case 'getLastSpec':
        return host.getLastSpec ? host.getLastSpec() : null;
      case 'setLastSpec':
        if (host.setLastSpec) await host.setLastSpec(a[0]);
        return null;
    }
  };
}
