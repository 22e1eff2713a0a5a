// Fetches the Electron binary after `npm ci` (electron >= 42 has no postinstall of its own).
// Offline, or where the download host is unreachable, this only prints a notice: the CLI,
// browser mode (`pvblk serve`) and every test work without the binary.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function electronDir() {
  try {
    return dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

const dir = electronDir();
if (!dir) {
  console.log('[pvblk] electron package not installed; skipping the binary download.');
  process.exit(0);
}
if (process.env.PVBLK_SKIP_ELECTRON === '1' || process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1') {
  console.log(
    '[pvblk] Electron binary download skipped (PVBLK_SKIP_ELECTRON / ELECTRON_SKIP_BINARY_DOWNLOAD).',
  );
  process.exit(0);
}
if (existsSync(join(dir, 'path.txt')) || process.env.ELECTRON_OVERRIDE_DIST_PATH) {
  process.exit(0);
}
const result = spawnSync(process.execPath, [join(dir, 'install.js')], {
  stdio: ['ignore', 'pipe', 'pipe'],
  timeout: 180_000,
  encoding: 'utf8',
});
if (result.status === 0 && existsSync(join(dir, 'path.txt'))) {
  console.log('[pvblk] Electron binary installed.');
} else {
  const lines = `${result.stderr ?? ''}${result.stdout ?? ''}`.split('\n').map((l) => l.trim());
  const why =
    lines.find((l) => /fetch failed|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|HTTPError|Error:/.test(l)) ??
    result.error?.message ??
    'unknown error';
  console.log(
    `[pvblk] Could not download the Electron binary (${why}).\n` +
      '[pvblk] Everything except the desktop window still works: `npx pvblk serve` opens the same UI in a browser.\n' +
      '[pvblk] Retry later with `npx install-electron`, or set ELECTRON_OVERRIDE_DIST_PATH to an Electron you have.',
  );
}
process.exit(0);
