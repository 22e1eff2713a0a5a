// `npm start`: the desktop app when an Electron binary is available, otherwise browser mode.
// Builds first when out/ is missing (or with --build).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { engineNodeFlags } from './engine-flags.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
// The engine's V8 flags (main/node/node-flags.ts), where this Node's V8 knows them: given to
// Electron's main process as --js-flags (Electron's own V8 knows them); browser mode serves from this
// process, so it starts again with them when they are missing.
const engineFlags = engineNodeFlags();
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : Number(process.env.PVBLK_PORT ?? 0);

/** The Electron executable, resolved like the electron package does, without its download fallback. */
function electronBinary() {
  let dir = null;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {}
  const txt = dir ? join(dir, 'path.txt') : null;
  const name = txt && existsSync(txt) ? readFileSync(txt, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const bin = override ? join(override, name || 'electron') : name && dir ? join(dir, 'dist', name) : null;
  return bin && existsSync(bin) ? bin : null;
}

const built = [
  'out/main/index.js',
  'out/main/serve.js',
  'out/main/sim-worker.js',
  'out/renderer/index.html',
].every((f) => existsSync(join(root, f)));
if (!built || args.includes('--build')) {
  console.log('[pvblk] building (electron-vite build)…');
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) {
    console.error('[pvblk] build failed');
    process.exit(r.status ?? 1);
  }
}

const bin = args.includes('--browser') ? null : electronBinary();
if (bin) {
  console.log(`[pvblk] starting the desktop app (${bin})`);
  const child = spawn(bin, [`--js-flags=${engineFlags.join(' ')}`, root], {
    stdio: 'inherit',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined },
  });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!args.includes('--browser')) {
    console.log(
      '[pvblk] The Electron binary is not available (node_modules/electron/path.txt missing, or\n' +
        '[pvblk] ELECTRON_OVERRIDE_DIST_PATH does not hold one), so the lab starts in browser mode instead.\n' +
        '[pvblk] Get the desktop app with `npx install-electron`, or set ELECTRON_OVERRIDE_DIST_PATH to the directory of an Electron binary.',
    );
  }
  if (engineFlags.every((f) => process.execArgv.includes(f))) await serve();
  else {
    const again = [
      ...engineFlags,
      fileURLToPath(import.meta.url),
      ...args.filter((a) => a !== '--build'),
      '--browser',
    ];
    const child = spawn(process.execPath, again, { stdio: 'inherit' });
    // Ctrl+C reaches both processes (one process group): wait for the child to stop its server.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => child.kill('SIGTERM'));
    child.on('exit', (code) => process.exit(code ?? 0));
  }
}

async function serve() {
  const { startServer } = await import(pathToFileURL(join(root, 'out/main/serve.js')).href);
  const server = await startServer({ port, distDir: join(root, 'out/renderer') });
  console.log(`[pvblk] PV Block Lab (browser mode) at ${server.url}`);
  console.log('[pvblk] Open that URL in a browser (the token in it is required). Ctrl+C to stop.');
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
