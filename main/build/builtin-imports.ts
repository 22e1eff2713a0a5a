/**
 * Build step for the main-process bundles (electron.vite.config.ts): Node built-ins taken through
 * `process.getBuiltinModule` instead of ES imports.
 *
 * Why: an ES import of a built-in (`import { existsSync } from "node:fs"`) makes Node build an ES
 * module facade of it, which reads every export of the module once (lib/internal/bootstrap/realm.js,
 * syncExports); some exports are lazy getters that load more built-ins: node:fs's ReadStream loads
 * the whole streams stack, node:util's TextDecoder the encoding and worker modules. For the six
 * built-ins `pvblk run` uses that is some 6 ms of a start-up of about 100. `process.getBuiltinModule`
 * (Node 22.3+, 20.16+; Electron's Node too) returns the CommonJS exports object, the same functions
 * the facade holds, and destructuring reads only the names the chunk uses.
 *
 * The rewrite is of a chunk's import lines of the form rolldown emits for an external built-in,
 * `import { a, b as c } from "node:x";`, each into one line (line numbers do not change):
 * `const { a, b: c } = process.getBuiltinModule("node:x");`. Chunks are evaluated after their
 * imports and the built-ins have no side effects on import, so only the time of loading changes.
 * Any other form (default, namespace, side-effect imports) is left as it is.
 */

import { rmSync } from 'node:fs';

const IMPORT_LINE = /^import \{([^}]*)\} from "(node:[a-z_/]+)";$/gm;
const NAME = /^[A-Za-z_$][\w$]*$/;

/** `code` with its named imports of `node:` built-ins rewritten (see above). */
export function builtinImportsViaProcess(code: string): string {
  return code.replace(IMPORT_LINE, (line, list: string, id: string) => {
    const parts = list
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => s.split(/\s+as\s+/));
    if (parts.length === 0) return line;
    if (!parts.every((p) => p.length <= 2 && p.every((n) => NAME.test(n)) && p[0] !== 'default')) return line;
    const fields = parts.map(([name, local]) => (local && local !== name ? `${name}: ${local}` : name));
    return `const { ${fields.join(', ')} } = process.getBuiltinModule(${JSON.stringify(id)});`;
  });
}

/**
 * The Vite/rolldown plugin applying it to every chunk of a build. Given `compileCacheDir` (the
 * folder bin/pvblk.mjs keeps Node's compile cache in), it also empties that folder when a build
 * starts: a build renames its chunks, so the old entries would never be read again, only pile up.
 */
export function builtinImportsPlugin(compileCacheDir?: string) {
  return {
    name: 'pvblk-builtin-imports',
    buildStart() {
      if (compileCacheDir) rmSync(compileCacheDir, { recursive: true, force: true });
    },
    renderChunk(code: string) {
      const out = builtinImportsViaProcess(code);
      return out === code ? null : { code: out, map: null };
    },
  };
}
