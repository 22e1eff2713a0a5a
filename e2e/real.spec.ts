import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { cgroupUnavailable } from '../main/node/real/cgroup';
import { chooseBundle, expect, serverUrl, shot, test } from './fixtures';

const execFileP = promisify(execFile);

// A small fairness experiment: VM-A with one sequential reader, VM-B with two, 64 KiB blocks, 2 s,
// run with one host context per VM (vm) and one per guest thread (vpid).
const SPEC = {
  name: 'real-vs-sim',
  duration_s: 2,
  warmup_s: 0,
  sample_interval_ms: 250,
  vms: [
    {
      name: 'VM-A',
      image: { offset_gb: 0, size_gb: 8 },
      threads: [{ name: 'a', count: 1, pattern: 'sequential', block_kb: 64, size_gb: 2 }],
    },
    {
      name: 'VM-B',
      image: { offset_gb: 100, size_gb: 8 },
      threads: [{ name: 'b', count: 2, pattern: 'sequential', block_kb: 64, size_gb: 2 }],
    },
  ],
  matrix: { 'vms.*.mapping': ['vm', 'vpid'] },
};

/** Clicks Export bundle and saves the download under the test's output folder. */
async function exportBundle(page: Page, outDir: string, name: string): Promise<string> {
  await expect(page.getByTestId('export-bundle')).toBeEnabled();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-bundle').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.pvblk\.zip$/);
  const file = join(outDir, name);
  await download.saveAs(file);
  await expect(page.getByTestId('bundle-error')).toHaveCount(0);
  return file;
}

/** Opens a bundle file through Import bundle… (the browser file picker). */
async function importBundle(page: Page, file: string): Promise<void> {
  await chooseBundle(page, file.split('/').pop() ?? 'b.pvblk.zip', readFileSync(file));
}

test('real disk: run in a temp folder, device panel, then sim vs real side by side', async ({
  lab,
}, info) => {
  test.skip(info.project.name === 'electron', 'the folder is typed in browser mode (Electron uses a dialog)');
  test.setTimeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'pvblk-e2e-real-'));
  try {
    await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
    await lab.getByTestId('mode-json').click();
    // Keep the preset's disk model (the disk panel characterizes it), replace the workload.
    const base = JSON.parse(await lab.getByTestId('spec-json').inputValue()) as Record<string, unknown>;
    const spec = { ...SPEC, disk: base.disk, seed: base.seed };
    await lab.getByTestId('spec-json').fill(JSON.stringify(spec, null, 2));
    await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');

    await lab.getByTestId('backend-real').check();
    // A folder that does not exist: an inline error, and Run does not start anything.
    await lab.getByTestId('real-dir').fill(join(dir, 'nope'));
    await expect(lab.getByTestId('real-dir-error')).toContainText('does not exist');
    await lab.getByTestId('run').click();
    await expect(lab.getByTestId('status')).toHaveText('idle');

    await lab.getByTestId('real-dir').fill(dir);
    await expect(lab.getByTestId('real-dir-ok')).toBeVisible();
    await expect(lab.getByTestId('real-dir-error')).toHaveCount(0);
    await lab.getByTestId('real-size').fill('0.25');
    await lab.getByTestId('real-size').dispatchEvent('change');
    await expect(lab.getByTestId('real-size')).toHaveValue('0.25');
    await lab.getByTestId('run').click();
    await expect(lab.getByTestId('status')).toHaveText('running', { timeout: 10_000 });
    await expect
      .poll(
        async () => Number.parseInt((await lab.getByTestId('samples-received').textContent()) ?? '0', 10),
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0);
    await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 60_000 });
    await expect(lab.getByTestId('real-panel')).toBeVisible();
    await expect(lab.getByTestId('real-scheduler').first()).not.toBeEmpty();
    await expect(lab.getByTestId('real-rotational').first()).toContainText(/yes|no|—/);
    // The lab removed its files.
    expect(readdirSync(dir)).toEqual([]);
    // The seek pattern of the real run: completed requests at their device sectors.
    const seek = lab.getByTestId('seek-panel');
    await expect(seek.locator('.hint')).toContainText(/[1-9]\d* dispatches/);
    await expect(lab.getByTestId('real-placement').first()).toContainText(/GiB, 2 files|logical/);
    await expect(lab.getByTestId('activity-unobservable')).toBeVisible();
    await lab.setViewportSize({ width: 1440, height: 2000 });
    await lab.waitForTimeout(400);
    await shot(lab, '15-real-run-seek');
    await lab.setViewportSize({ width: 1440, height: 960 });
    // Exported now, the bundle holds the real result only (no simulation of this spec yet).
    const realOnly = await exportBundle(lab, info.outputPath(), 'real-only.pvblk.zip');

    // The same spec, simulated: the real run is overlaid live; then both go into the compare view.
    await lab.getByTestId('backend-sim').check();
    await lab.getByTestId('run').click();
    await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 30_000 });
    await expect(lab.getByTestId('throughput-overlay')).toContainText('real');
    await lab.getByTestId('compare-backends').click();
    await expect(lab.getByTestId('compare-view')).toBeVisible();
    const rows = lab.getByTestId('compare-table').locator('tbody tr');
    // simulated and real, per strategy; the bars show each VM's MB/s beside the total
    await expect(rows).toHaveCount(4);
    await expect(rows.nth(0)).toContainText('source=sim');
    await expect(rows.nth(0)).toContainText('vm');
    await expect(rows.nth(1)).toContainText('vpid');
    await expect(rows.nth(2)).toContainText('source=real');
    await expect(rows.nth(3)).toContainText('source=real');
    await expect(lab.getByTestId('real-panel')).toBeVisible();
    await lab.waitForTimeout(500);
    await shot(lab, '13-real-vs-sim');

    // Exported now, the bundle holds both: the simulated result and the real one of the same spec.
    const both = await exportBundle(lab, info.outputPath(), 'sim-and-real.pvblk.zip');
    const replay = await execFileP(process.execPath, ['bin/pvblk.mjs', 'replay', both], { timeout: 60_000 });
    expect(replay.stdout).toContain('also holds real-disk results (results-real.json, 2 runs)');
    expect(replay.stdout).toContain('identical (2 runs)');
    const replayJson = await execFileP(process.execPath, ['bin/pvblk.mjs', 'replay', both, '--json'], {
      timeout: 60_000,
    });
    expect(JSON.parse(replayJson.stdout)).toMatchObject({ identical: true, realResultsNotReplayed: true });

    // Imported in a fresh page: the simulated result is shown with the real one overlaid, and
    // "Compare sim vs real" puts both side by side, nothing re-run.
    const page = await lab.context().newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(serverUrl());
    await expect(page.getByTestId('spec-ok')).toHaveText('spec is valid');
    await expect(page.getByTestId('compare-backends')).toBeDisabled();
    await importBundle(page, both);
    await expect(page.getByTestId('imported-badge')).toContainText('sim-and-real.pvblk.zip');
    await expect(page.getByTestId('imported-backends')).toHaveText('simulated + real disk');
    await expect(page.getByTestId('status')).toHaveText('done');
    await expect(page.getByTestId('throughput-overlay')).toContainText('real');
    await expect(page.getByTestId('real-panel')).toHaveCount(0);
    await expect(page.getByTestId('compare-backends')).toBeEnabled();
    await page.getByTestId('compare-backends').click();
    await expect(page.getByTestId('compare-view')).toBeVisible();
    const imported = page.getByTestId('compare-table').locator('tbody tr');
    await expect(imported).toHaveCount(4);
    await expect(imported.nth(0)).toContainText('source=sim');
    await expect(imported.nth(3)).toContainText('source=real');
    await expect(page.getByTestId('real-panel')).toBeVisible();
    await page.setViewportSize({ width: 1440, height: 2200 });
    await page.waitForTimeout(500);
    await shot(page, '16-bundle-sim-and-real-imported');

    // A real-only bundle shows as a real-disk result: the device panel, no sim to compare with.
    await importBundle(page, realOnly);
    await expect(page.getByTestId('imported-badge')).toContainText('real-only.pvblk.zip');
    await expect(page.getByTestId('imported-backends')).toHaveText('real disk');
    await expect(page.getByTestId('real-panel')).toBeVisible();
    await expect(page.getByTestId('real-scheduler').first()).not.toBeEmpty();
    await expect(page.getByTestId('throughput-overlay')).toHaveCount(0);
    expect(errors).toEqual([]);
    await page.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real disk: a strategy this machine cannot run is a not-run row with its reason, the others run', async ({
  lab,
}, info) => {
  test.skip(info.project.name === 'electron', 'the folder is typed in browser mode (Electron uses a dialog)');
  const why = cgroupUnavailable();
  test.skip(why === null, 'this machine has weighted cgroups: vpid-group runs here');
  test.setTimeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'pvblk-e2e-real-'));
  try {
    await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
    await lab.getByTestId('mode-json').click();
    const base = JSON.parse(await lab.getByTestId('spec-json').inputValue()) as Record<string, unknown>;
    // paper-fairness's strategies, shortened: vpid-group needs weighted cgroups, which this machine lacks
    const spec = {
      ...SPEC,
      duration_s: 1,
      host: { scheduler: 'cfq' },
      disk: base.disk,
      seed: base.seed,
      matrix: { 'vms.*.mapping': ['vm', 'vpid-group'] },
    };
    await lab.getByTestId('spec-json').fill(JSON.stringify(spec, null, 2));
    await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
    await lab.getByTestId('backend-real').check();
    await lab.getByTestId('real-dir').fill(dir);
    await expect(lab.getByTestId('real-dir-ok')).toBeVisible();
    await lab.getByTestId('real-size').fill('0.25');
    await lab.getByTestId('real-size').dispatchEvent('change');
    await lab.getByTestId('run').click();
    // done, not error: the vm run ran; vpid-group is counted and shown as not run, with the reason
    await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 60_000 });
    await expect(lab.getByTestId('real-error')).toHaveCount(0);
    await expect(lab.getByTestId('not-run-count')).toHaveText('1 not run here');
    await expect(lab.getByTestId('compare-count')).toHaveText('1 of 2 runs finished · 1 not run');
    const row = lab.getByTestId('not-run-row');
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('vpid-group');
    await expect(row).toContainText(
      "not run: vpid-group: the VMs' weighted I/O cgroups are not available here",
    );
    await expect(lab.getByTestId('compare-table').locator('tbody tr')).toHaveCount(2);
    expect(readdirSync(dir)).toEqual([]);
    await shot(lab, '16-real-not-run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
