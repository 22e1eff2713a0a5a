#!/usr/bin/env node
// The `pvblk` command: runs the built CLI (out/main/cli.js, made by `npm run build`, which `npm ci` runs).
// It starts with Node's defaults: the engine's V8 flags (main/node/node-flags.ts) are given where the
// lab starts Node itself with a Node that knows them (npm start, the Slurm scripts, the bench), since
// a flag an older V8 does not know would stop Node here before the CLI could say anything.
// Built-ins through process.getBuiltinModule, not ES imports, as in the built CLI: an ES import of
// node:fs makes Node read all its exports, loading the streams modules (main/build/builtin-imports.ts).
const { existsSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const { tmpdir } = process.getBuiltinModule('node:os');
const { dirname, join } = process.getBuiltinModule('node:path');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('pvblk: the CLI is not built yet; run `npm run build` in ' + root + '\n');
  process.exit(1);
}
enableCompileCache();
// A reader that stops early (`pvblk run … | head`) closes the pipe: stop quietly, as Unix tools do,
// instead of an unhandled EPIPE error and its stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import(pathToFileURL(cli).href);
const code = await main(process.argv.slice(2));
process.exitCode = code;

/**
 * Node's on-disk module compile cache (V8 code cache, https://nodejs.org/api/module.html#module-compile-cache),
 * so that a command does not parse and compile the CLI's modules again each time it starts:
 * node_modules/.cache/pvblk-compile in this checkout, or the OS temporary folder's node-compile-cache
 * where that cannot be written. Node keys each entry by the module's content and its own version and
 * checks it before use, so a rebuilt CLI or another Node never gets a stale entry; when no folder
 * can be used, or NODE_DISABLE_COMPILE_CACHE is set, the CLI simply compiles as without a cache. It
 * changes nothing a command prints.
 */
function enableCompileCache() {
  if (typeof module.enableCompileCache !== 'function') return;
  const { FAILED } = module.constants.compileCacheStatus;
  try {
    for (const dir of [
      join(root, 'node_modules', '.cache', 'pvblk-compile'),
      join(tmpdir(), 'node-compile-cache'),
    ])
      if (module.enableCompileCache(dir).status !== FAILED) return;
  } catch {
    // never a reason not to run
  }
}
