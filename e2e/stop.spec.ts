/**
 * Stop keeps a partial result (issue #16 item 6): after Stop the result is marked partial in the
 * UI and in the file, Save results and Export bundle work, the bundle replays identical from the
 * CLI, and an import of it shows the same mark.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { expect, pickPreset, sampleCount, serverUrl, shot, test } from './fixtures';

const run = promisify(execFile);

test('a stopped run keeps its partial result: marked, saved, exported, replayed and imported', async ({
  lab,
}, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'native save/open dialogs; covered in browser mode');
  test.setTimeout(120_000);
  await pickPreset(lab, 'native-random-fifo');
  await lab.getByTestId('pacing-select').selectOption('1');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('running');
  await expect.poll(() => sampleCount(lab)).toBeGreaterThan(4);
  await lab.getByTestId('stop').click();
  await expect(lab.getByTestId('status')).toHaveText('stopped');
  const badge = lab.getByTestId('partial-badge');
  await expect(badge).toContainText(/partial result · stopped at \d+\.\d\d s of \d+ s/);
  await shot(lab, '20-stopped-partial');

  // Save results: the JSON says partial, and where the run stopped.
  await expect(lab.getByTestId('save-results')).toBeEnabled();
  const [saved] = await Promise.all([lab.waitForEvent('download'), lab.getByTestId('save-results').click()]);
  const savedFile = join(testInfo.outputPath(), 'stopped.result.json');
  await saved.saveAs(savedFile);
  const result = JSON.parse(readFileSync(savedFile, 'utf8'));
  expect(result.partial).toEqual({ reason: 'stopped', runs_total: 1 });
  expect(result.runs).toHaveLength(1);
  expect(result.runs[0].partial.simulated_s).toBeGreaterThan(0);
  expect(result.runs[0].partial.simulated_s).toBeLessThan(result.runs[0].partial.duration_s);

  // Export bundle: enabled after Stop; the bundle's README says PARTIAL; the CLI replays it identical.
  await expect(lab.getByTestId('export-bundle')).toBeEnabled();
  const [download] = await Promise.all([
    lab.waitForEvent('download'),
    lab.getByTestId('export-bundle').click(),
  ]);
  const file = join(testInfo.outputPath(), download.suggestedFilename());
  await download.saveAs(file);
  await expect(lab.getByTestId('bundle-error')).toHaveCount(0);
  const files = unzipSync(readFileSync(file));
  const text = (name: string) => new TextDecoder().decode(files[name]);
  expect(JSON.parse(text('results.json')).partial).toEqual({ reason: 'stopped', runs_total: 1 });
  expect(text('README.md')).toContain('PARTIAL: the experiment was stopped');
  const { stdout } = await run(process.execPath, ['bin/pvblk.mjs', 'replay', file, '--json'], {
    timeout: 60_000,
  });
  expect(JSON.parse(stdout)).toMatchObject({ identical: true, runs: 1 });

  // Imported in a fresh page: still marked partial.
  const page = await lab.context().newPage();
  await page.goto(serverUrl());
  await expect(page.getByTestId('spec-ok')).toHaveText('spec is valid');
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByTestId('import-bundle').click(),
  ]);
  await chooser.setFiles({
    name: 'stopped.pvblk.zip',
    mimeType: 'application/zip',
    buffer: readFileSync(file),
  });
  await expect(page.getByTestId('imported-badge')).toContainText('imported bundle');
  await expect(page.getByTestId('partial-badge')).toContainText('partial result · stopped at');
  await page.getByTestId('verify-import').click();
  await expect(page.getByTestId('imported-verified')).toHaveText('verified', { timeout: 30_000 });
  await page.close();
});
