import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Project } from '@playwright/test';

const PORT = Number(process.env.PVBLK_E2E_PORT ?? 47613);
// One token per `playwright test` invocation; workers and the web server inherit it.
process.env.PVBLK_E2E_TOKEN ??= randomBytes(18).toString('base64url');
process.env.PVBLK_E2E_PORT = String(PORT);

function electronBinaryAvailable(): string | null {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return 'ELECTRON_OVERRIDE_DIST_PATH';
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    return existsSync(join(dir, 'path.txt')) ? 'electron package' : null;
  } catch {
    return null;
  }
}

const electron = electronBinaryAvailable();
const launchOptions = {
  executablePath: process.env.PVBLK_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
};
const projects: Project[] = [
  { name: 'browser', use: { viewport: { width: 1440, height: 960 }, launchOptions } },
];
if (electron) {
  // The `lab` fixture launches Electron itself; launchOptions only keep Playwright off its own browsers.
  projects.push({ name: 'electron', use: { viewport: null, launchOptions } });
} else if (!process.env.PVBLK_E2E_QUIET && !process.env.TEST_WORKER_INDEX) {
  console.log(
    '[e2e] electron project skipped: no Electron binary (node_modules/electron/path.txt missing and ELECTRON_OVERRIDE_DIST_PATH unset).',
  );
}

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/artifacts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
  projects,
  webServer: {
    command: `node e2e/serve-for-tests.mjs ${PORT}`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
  },
});
