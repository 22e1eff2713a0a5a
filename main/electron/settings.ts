/** Window bounds and the last spec, kept in a small JSON file in userData. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Settings {
  bounds?: { x?: number; y?: number; width: number; height: number };
  maximized?: boolean;
  lastSpec?: unknown;
}

export function loadSettings(file: string): Settings {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Settings) : {};
  } catch {
    return {};
  }
}

export function saveSettings(file: string, s: Settings): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(s));
    renameSync(tmp, file);
  } catch {
    // Settings are a convenience; failing to save them must not break the app.
  }
}
