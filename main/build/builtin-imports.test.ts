import { describe, expect, it } from 'vitest';
import { builtinImportsViaProcess } from './builtin-imports';

describe('builtinImportsViaProcess', () => {
  it('rewrites named imports of node: built-ins, line for line', () => {
    const code = [
      'import { t as x } from "./chunks/a.js";',
      'import { existsSync, readFileSync as rf } from "node:fs";',
      'import { readFile } from "node:fs/promises";',
      'import { WebSocketServer } from "ws";',
      'const y = existsSync("a");',
    ].join('\n');
    expect(builtinImportsViaProcess(code).split('\n')).toEqual([
      'import { t as x } from "./chunks/a.js";',
      'const { existsSync, readFileSync: rf } = process.getBuiltinModule("node:fs");',
      'const { readFile } = process.getBuiltinModule("node:fs/promises");',
      'import { WebSocketServer } from "ws";',
      'const y = existsSync("a");',
    ]);
  });

  it('leaves default, namespace and unusual imports alone', () => {
    const code = [
      'import fs from "node:fs";',
      'import * as path from "node:path";',
      'import "node:os";',
      'import { default as m } from "node:module";',
      'import {} from "node:url";',
    ].join('\n');
    expect(builtinImportsViaProcess(code)).toBe(code);
  });

  it('gives the same functions as the ES import', async () => {
    const esm = await import('node:fs');
    const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');
    expect(existsSync).toBe(esm.existsSync);
    expect(readFileSync).toBe(esm.readFileSync);
  });
});
