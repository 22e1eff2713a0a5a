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
