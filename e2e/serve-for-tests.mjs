// Starts the built browser-mode server for Playwright (builds first when out/ is missing).
// Usage: node e2e/serve-for-tests.mjs [port]; the token comes from PVBLK_E2E_TOKEN.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.argv[2] ?? process.env.PVBLK_E2E_PORT ?? 47613);
const serveJs = join(root, 'out/main/serve.js');
if (!existsSync(serveJs) || !existsSync(join(root, 'out/renderer/index.html'))) {
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const { startServer } = await import(pathToFileURL(serveJs).href);
const server = await startServer({
  port,
  distDir: join(root, 'out/renderer'),
  token: process.env.PVBLK_E2E_TOKEN,
});
console.log(`PV Block Lab test server at ${server.url}`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
