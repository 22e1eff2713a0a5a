/**
 * `lab` fixture: the app's page, in Chromium against the browser-mode server (project `browser`)
 * or in an Electron window (project `electron`, only when an Electron binary exists).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { _electron, test as base, expect, type Page } from '@playwright/test';

export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

export const serverUrl = () =>
  `http://127.0.0.1:${process.env.PVBLK_E2E_PORT ?? 47613}/?token=${process.env.PVBLK_E2E_TOKEN ?? ''}`;

export const test = base.extend<{ lab: Page }>({
  lab: async ({ page }, use, testInfo) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const errors: string[] = [];
    if (testInfo.project.name === 'electron') {
      const app = await _electron.launch({
        args: ['out/main/index.js'],
        env: { ...process.env, PVBLK_USER_DATA: testInfo.outputPath('user-data') } as Record<string, string>,
        // The electron package resolves the binary (path.txt, or ELECTRON_OVERRIDE_DIST_PATH: a directory).
      });
      const win = await app.firstWindow();
      win.on('pageerror', (e) => errors.push(e.message));
      await use(win);
      // destroy() skips beforeunload: a test that left unsaved edits must not block on the dialog.
      await app.evaluate(({ BrowserWindow }) => {
        for (const w of BrowserWindow.getAllWindows()) w.destroy();
      });
      await app.close();
    } else {
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(serverUrl());
      await use(page);
    }
    expect(errors, 'no page errors or CSP violations').toEqual([]);
  },
});

export { expect };

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Selects a preset by its name (option value) and waits until its spec is valid. */
export async function pickPreset(page: Page, name: string): Promise<void> {
  await page.getByTestId('preset-select').selectOption(name);
  await expect(page.getByTestId('spec-form').or(page.getByTestId('spec-json'))).toBeVisible();
  await expect(page.getByTestId('spec-ok')).toHaveText('spec is valid');
}

export async function sampleCount(page: Page): Promise<number> {
  const t = await page.getByTestId('samples-received').textContent();
  return Number.parseInt(t ?? '0', 10);
}

/** A cheap fingerprint of the pixels of the chart canvas (or canvases) under `testId`; 0 when nothing is painted. */
export async function canvasHash(page: Page, testId: string): Promise<number> {
  // Typed structurally: the node tsconfig has no DOM lib.
  interface Canvas2d {
    width: number;
    height: number;
    getContext(
      kind: '2d',
    ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
  }
  const canvases = page.getByTestId(testId).locator('canvas');
  await canvases.first().waitFor();
  return canvases.evaluateAll((els) => {
    let h = 0;
    let painted = 0;
    for (const el of els) {
      const c = el as unknown as Canvas2d;
      const ctx = c.getContext('2d');
      if (!ctx) return -1;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] !== 0) painted++;
        h = (h * 31 + d[i] + d[i + 1] * 3 + d[i + 2] * 7 + d[i + 3] * 11) | 0;
      }
    }
    return painted === 0 ? 0 : h;
  });
}

/** Opens a bundle's bytes through Import bundle… (the browser file picker). */
export async function chooseBundle(page: Page, name: string, buffer: Buffer): Promise<void> {
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByTestId('import-bundle').click(),
  ]);
  await chooser.setFiles({ name, mimeType: 'application/zip', buffer });
}
