/**
 * The spec a command works on, from its arguments: one spec file or `--preset NAME`, never both
 * (`pvblk run`, `real`, `kernel`, `sweep`). Every problem is a SpecArgError whose message names the
 * file or option; each command prints it its own way and exits 2.
 */
import { readFileSync } from 'node:fs';
import { ownValue } from '../../common/own';
import type { SpecInput } from '../../common/spec/schema';
import { EXPERIMENT_PRESETS, presetSpec } from '../../engine/presets/index';

export class SpecArgError extends Error {
  override readonly name = 'SpecArgError';
}

/** A built-in experiment's spec; an unknown name (including inherited ones such as `constructor`) is refused. */
export function presetInput(name: string): SpecInput {
  if (!ownValue(EXPERIMENT_PRESETS, name))
    throw new SpecArgError(
      `--preset: unknown preset "${name}" (known: ${Object.keys(EXPERIMENT_PRESETS).join(', ')})`,
    );
  return presetSpec(name);
}

/** A JSON file's content, or a SpecArgError saying why it cannot be read or parsed. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SpecArgError(
      `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SpecArgError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** A spec file's JSON (validated later, by the command). */
export const readSpecFile = (path: string): SpecInput => readJsonFile(path) as SpecInput;

/**
 * Checks the spec arguments: at most one file, not with --preset, one of the two given. `prefix`
 * starts the messages about the arguments' count (e.g. "run: ").
 */
export function checkSpecArgs(positionals: readonly string[], preset: string | undefined, prefix = ''): void {
  if (positionals.length > 1)
    throw new SpecArgError(`${prefix}expected one spec file, got ${positionals.length}`);
  if (positionals.length === 1 && preset)
    throw new SpecArgError(`${prefix}give a spec file or --preset, not both`);
  if (positionals.length === 0 && !preset)
    throw new SpecArgError(`${prefix}give a spec file or --preset NAME`);
}

/** The spec input and where it came from (`preset NAME` or the file's path). */
export function specFromArgs(
  positionals: readonly string[],
  preset: string | undefined,
  prefix = '',
): { input: SpecInput; source: string } {
  checkSpecArgs(positionals, preset, prefix);
  if (preset) return { input: presetInput(preset), source: `preset ${preset}` };
  return { input: readSpecFile(positionals[0]), source: positionals[0] };
}
