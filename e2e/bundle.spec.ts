/**
 * Experiment bundles from the UI: export after a run, replay from the CLI (identical), import in a
 * fresh page (stored samples in the charts, the badge, Re-run live), and a corrupted bundle's
 * inline error.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { expect, pickPreset, sampleCount, serverUrl, shot, test } from './fixtures';

const run = promisify(execFile);
const PRESET = 'native-random-fifo';

async function importFile(page: Page, file: { name: string; buffer: Buffer }): Promise<void> {
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByTestId('import-bundle').click(),
  ]);
  await chooser.setFiles({ name: file.name, mimeType: 'application/zip', buffer: file.buffer });
}

test('a bundle exported from the UI replays identical from the CLI and imports without re-running', async ({
  lab,
}, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'native save/open dialogs; covered in browser mode');
  test.setTimeout(120_000);
  await pickPreset(lab, PRESET);
  await lab.getByTestId('mode-json').click();
  const editor = lab.getByTestId('spec-json');
  const text = await editor.inputValue();
  await editor.fill(
    text
      .replace(/"duration_s":\s*[0-9.]+/, '"duration_s": 3')
      .replace(/"warmup_s":\s*[0-9.]+/, '"warmup_s": 0.5'),
  );
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await expect(lab.getByTestId('export-bundle')).toBeDisabled();
  await lab.getByTestId('pacing-select').selectOption('max');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 45_000 });
  const streamed = await sampleCount(lab);
  expect(streamed).toBeGreaterThan(4);
  // Panels refresh while visible: bring the thread table into view for its IOPS column.
  await lab.getByTestId('thread-panel').scrollIntoViewIfNeeded();
  await expect(lab.getByTestId('thread-iops').first()).toHaveText(/^\d+$/);
  await lab.getByTestId('throughput-panel').scrollIntoViewIfNeeded();

  // Export: the browser downloads <name>.pvblk.zip.
  await expect(lab.getByTestId('export-bundle')).toBeEnabled();
  const [download] = await Promise.all([
    lab.waitForEvent('download'),
    lab.getByTestId('export-bundle').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.pvblk\.zip$/);
  const file = join(testInfo.outputPath(), download.suggestedFilename());
  await download.saveAs(file);
  await expect(lab.getByTestId('bundle-error')).toHaveCount(0);

  // Replay from the CLI: exit 0 and "identical".
  const { stdout } = await run(process.execPath, ['bin/pvblk.mjs', 'replay', file], { timeout: 60_000 });
  expect(stdout).toContain('identical');

  // Import in a fresh page: the stored samples fill the charts, nothing runs.
  const page = await lab.context().newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(serverUrl());
  await expect(page.getByTestId('spec-ok')).toHaveText('spec is valid');
  await importFile(page, { name: download.suggestedFilename(), buffer: readFileSync(file) });
  await expect(page.getByTestId('imported-badge')).toContainText('imported bundle');
  await expect(page.getByTestId('status')).toHaveText('done');
  await expect(page.getByTestId('samples-received')).toHaveText(`${streamed} samples`);
  await expect(page.getByTestId('sample-count')).toHaveText(`${streamed} samples`);
  await expect(page.getByTestId('thread-table').locator('tbody tr')).not.toHaveCount(0);
  await expect(page.getByTestId('bundle-charts').locator('img')).not.toHaveCount(0);
  expect(await page.getByTestId('spec-json').or(page.getByTestId('spec-form')).count()).toBeGreaterThan(0);
  await page.setViewportSize({ width: 1440, height: 2200 });
  await shot(page, '11-bundle-imported');

  // A corrupted bundle: an inline error naming the problem; the shown experiment stays.
  const bytes = readFileSync(file);
  const bad = Buffer.from(bytes);
  for (let i = 200; i < Math.min(bad.length - 200, 1200); i += 7) bad[i] ^= 0x5a;
  await importFile(page, { name: 'broken.pvblk.zip', buffer: bad });
  await expect(page.getByTestId('bundle-error')).toContainText('broken.pvblk.zip:');
  await expect(page.getByTestId('imported-badge')).toBeVisible();
  await shot(page, '12-bundle-broken');
  // Not a zip at all.
  await importFile(page, { name: 'notes.pvblk.zip', buffer: Buffer.from('hello, not a zip') });
  await expect(page.getByTestId('bundle-error')).toContainText('notes.pvblk.zip:');
  writeFileSync(testInfo.outputPath('broken.pvblk.zip'), bad);

  // Re-run live: a normal run of the imported spec.
  await page.getByTestId('rerun-live').click();
  await expect(page.getByTestId('imported-badge')).toHaveCount(0);
  await expect(page.getByTestId('status')).toHaveText('done', { timeout: 45_000 });
  await expect(page.getByTestId('samples-received')).toHaveText(`${streamed} samples`);
  expect(errors).toEqual([]);
  await page.close();
});

test('one run of a matrix exports alone and replays identical', async ({ lab }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'native save dialog; covered in browser mode');
  test.setTimeout(120_000);
  await pickPreset(lab, 'paper-throughput');
  await lab.getByTestId('mode-json').click();
  const editor = lab.getByTestId('spec-json');
  await editor.fill((await editor.inputValue()).replace(/"duration_s":\s*[0-9.]+/, '"duration_s": 4'));
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 60_000 });
  await lab.getByTestId('run-tabs').getByRole('button', { name: 'mapping=vpid', exact: true }).click();
  const [download] = await Promise.all([lab.waitForEvent('download'), lab.getByTestId('export-run').click()]);
  const file = join(testInfo.outputPath(), 'one-run.pvblk.zip');
  await download.saveAs(file);
  await expect(lab.getByTestId('bundle-error')).toHaveCount(0);
  const { stdout } = await run(process.execPath, ['bin/pvblk.mjs', 'replay', file, '--json'], {
    timeout: 60_000,
  });
  expect(JSON.parse(stdout)).toMatchObject({ identical: true, runs: 1 });
  // the bundle's spec keeps only that run's matrix value
  const files = unzipSync(readFileSync(file));
  const text = (name: string) => new TextDecoder().decode(files[name]);
  expect(JSON.parse(text('spec.json')).matrix).toEqual({ 'vms.*.mapping': ['vpid'] });
  expect(JSON.parse(text('results.json')).runs.map((r: { params: unknown }) => r.params)).toEqual([
    { 'vms.*.mapping': 'vpid' },
  ]);
});

/** Pixels of a PNG (base64) in a colour (not grey: axes, grid and text are grey), counted in the page. */
async function colouredPixels(page: Page, b64: string): Promise<number> {
  return page.evaluate(async (src) => {
    // Typed structurally: the node tsconfig has no DOM lib.
    interface Ctx2d {
      drawImage(i: unknown, x: number, y: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
    }
    const g = globalThis as unknown as {
      Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
      document: {
        createElement(t: 'canvas'): { width: number; height: number; getContext(k: '2d'): Ctx2d | null };
      };
    };
    const img = new g.Image();
    img.src = `data:image/png;base64,${src}`;
    await img.decode();
    const c = g.document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d');
    if (!ctx) return -1;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      const hi = Math.max(d[i], d[i + 1], d[i + 2]);
      const lo = Math.min(d[i], d[i + 1], d[i + 2]);
      if (d[i + 3] > 64 && hi - lo > 50) n++;
    }
    return n;
  }, b64);
}

const EIGHT_CHARTS = [
  'activity',
  'breakdown',
  'fairness',
  'latency',
  'latency-distribution',
  'latency-distribution-2',
  'seek',
  'throughput',
];

async function exportedCharts(page: Page, path: string): Promise<Record<string, number>> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-bundle').click(),
  ]);
  await download.saveAs(path);
  const files = unzipSync(readFileSync(path));
  const out: Record<string, number> = {};
  for (const [name, bytes] of Object.entries(files)) {
    const m = /^charts\/(.+)\.png$/.exec(name);
    if (m) out[m[1]] = await colouredPixels(page, Buffer.from(bytes).toString('base64'));
  }
  return out;
}

test('a bundle exported right after a run, without scrolling, holds eight charts drawn from the run', async ({
  lab,
}, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'native save/open dialogs; covered in browser mode');
  test.setTimeout(120_000);
  await pickPreset(lab, 'mixed-tenants');
  await lab.getByTestId('mode-json').click();
  const editor = lab.getByTestId('spec-json');
  await editor.fill((await editor.inputValue()).replace(/"duration_s":\s*[0-9.]+/, '"duration_s": 3'));
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await lab.getByTestId('pacing-select').selectOption('max');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 45_000 });
  const first = testInfo.outputPath('right-after.pvblk.zip');
  const charts = await exportedCharts(lab, first);
  expect(Object.keys(charts).sort()).toEqual(EIGHT_CHARTS);
  for (const [name, n] of Object.entries(charts))
    expect(n, `charts/${name}.png has data drawn`).toBeGreaterThan(100);

  // Imported in a fresh page and exported again (nothing scrolled): the charts are the run's.
  const page = await lab.context().newPage();
  await page.goto(serverUrl());
  await expect(page.getByTestId('spec-ok')).toHaveText('spec is valid');
  await importFile(page, { name: 'right-after.pvblk.zip', buffer: readFileSync(first) });
  await expect(page.getByTestId('imported-badge')).toContainText('imported bundle');
  const again = await exportedCharts(page, testInfo.outputPath('re-exported.pvblk.zip'));
  expect(Object.keys(again).sort()).toEqual(EIGHT_CHARTS);
  for (const [name, n] of Object.entries(again))
    expect(n, `re-exported charts/${name}.png`).toBeGreaterThan(100);
  await page.close();
});
