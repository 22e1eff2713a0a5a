/**
 * Experiments over the lab's work and memory limits (docs/limits.md): the UI asks, with the
 * estimate, before it opens such a bundle (issue #14: "The UI asks for confirmation instead") and
 * before it runs such a spec; declined, nothing happens; accepted, it opens or runs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { expect, pickPreset, serverUrl, test } from './fixtures';

async function importFile(page: Page, name: string, buffer: Buffer): Promise<void> {
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByTestId('import-bundle').click(),
  ]);
  await chooser.setFiles({ name, mimeType: 'application/zip', buffer });
}

/** The bundle with its spec made a week long, sampled every millisecond (the manifest's hashes kept right). */
function weekLong(bytes: Buffer): Buffer {
  const files = unzipSync(new Uint8Array(bytes));
  const spec = JSON.parse(new TextDecoder().decode(files['spec.json']));
  spec.duration_s = 7 * 86_400;
  spec.sample_interval_ms = 1;
  files['spec.json'] = strToU8(JSON.stringify(spec, null, 2));
  const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
  const hash = createHash('sha256').update(files['spec.json']).digest('hex');
  manifest.files['spec.json'] = hash;
  if (manifest.spec_sha256) manifest.spec_sha256 = hash;
  files['manifest.json'] = strToU8(JSON.stringify(manifest, null, 2));
  return Buffer.from(zipSync(files));
}

test('a bundle and a run over the limits ask first, with the estimate', async ({ lab }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'native open dialog; covered in browser mode');
  test.setTimeout(120_000);
  await pickPreset(lab, 'native-random-fifo');
  await lab.getByTestId('mode-json').click();
  const editor = lab.getByTestId('spec-json');
  await editor.fill((await editor.inputValue()).replace(/"duration_s":\s*[0-9.]+/, '"duration_s": 2'));
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 45_000 });
  const [download] = await Promise.all([
    lab.waitForEvent('download'),
    lab.getByTestId('export-bundle').click(),
  ]);
  const file = join(testInfo.outputPath(), 'small.pvblk.zip');
  await download.saveAs(file);
  const week = weekLong(readFileSync(file));

  const page = await lab.context().newPage();
  await page.goto(serverUrl());
  await expect(page.getByTestId('spec-ok')).toHaveText('spec is valid');
  const asked: string[] = [];
  // Declined: nothing opens, no error.
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await importFile(page, 'week.pvblk.zip', week);
  await expect.poll(() => asked.length).toBe(1);
  expect(asked[0]).toMatch(/^week\.pvblk\.zip holds a large experiment: .*limit/);
  expect(asked[0]).toMatch(/Estimate: 1 run, .*requests.*of memory/);
  await expect(page.getByTestId('imported-badge')).toHaveCount(0);
  await expect(page.getByTestId('bundle-error')).toHaveCount(0);
  // Accepted: it opens, not verified, its week-long spec in the editor.
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.accept();
  });
  await importFile(page, 'week.pvblk.zip', week);
  await expect(page.getByTestId('imported-badge')).toContainText('week.pvblk.zip');
  await expect(page.getByTestId('imported-verified')).toHaveText('not verified');
  expect(asked).toHaveLength(2);
  await page.getByTestId('mode-json').click();
  await expect(page.getByTestId('spec-json')).toHaveValue(/"duration_s": 604800/);

  // Running that spec asks too: declined, nothing runs; accepted, it runs (and Stop keeps a partial result).
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await page.getByTestId('rerun-live').click();
  await expect.poll(() => asked.length).toBe(3);
  expect(asked[2]).toMatch(/^This experiment is large: .*\nEstimate: .*\nRun it anyway\?/s);
  await expect(page.getByTestId('status')).toHaveText('done');
  await expect(page.getByTestId('imported-badge')).toBeVisible();
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('rerun-live').click();
  await expect(page.getByTestId('status')).toHaveText('running');
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('status')).toHaveText('stopped');
  await expect(page.getByTestId('partial-badge')).toContainText('of 604800 s');
  await page.close();
});
