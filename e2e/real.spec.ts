import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, shot, test } from './fixtures';

// A tiny spec: one native sequential reader, 64 KiB blocks, 2 s.
const SPEC = {
  name: 'real-vs-sim',
  duration_s: 2,
  warmup_s: 0,
  sample_interval_ms: 250,
  native: [{ name: 'seq', count: 1, pattern: 'sequential', block_kb: 64, size_gb: 1 }],
};

test('real disk: run in a temp folder, device panel, then sim vs real side by side', async ({
  lab,
}, info) => {
  test.skip(info.project.name === 'electron', 'the folder is typed in browser mode (Electron uses a dialog)');
  test.setTimeout(90_000);
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

    // The same spec, simulated: the real run is overlaid live; then both go into the compare view.
    await lab.getByTestId('backend-sim').check();
    await lab.getByTestId('run').click();
    await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 30_000 });
    await expect(lab.getByTestId('throughput-overlay')).toContainText('real');
    await lab.getByTestId('compare-backends').click();
    await expect(lab.getByTestId('compare-view')).toBeVisible();
    const rows = lab.getByTestId('compare-table').locator('tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('source=sim');
    await expect(rows.nth(1)).toContainText('source=real');
    await expect(lab.getByTestId('real-panel')).toBeVisible();
    await lab.waitForTimeout(500);
    await shot(lab, '13-real-vs-sim');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
