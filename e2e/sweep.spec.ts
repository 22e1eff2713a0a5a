/**
 * The sweep view: a sweep run in three shards from the CLI and merged, imported in the lab: one
 * metric against two matrix parameters with small multiples per a third, seeds as mean ± CI, a
 * heatmap for two numeric parameters, a click on a point opens that run's charts.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canvasHash, expect, shot, test } from './fixtures';

const run = promisify(execFile);

/** 72 runs: 2 mappings × 4 thread counts × 3 block sizes × 3 seeds. */
const SPEC = {
  name: 'sweep-view',
  duration_s: 0.4,
  warmup_s: 0.05,
  sample_interval_ms: 50,
  host: { scheduler: 'cfq' },
  vms: [
    { name: 'a', threads: [{ name: 'r', count: 1, size_gb: 0.1 }] },
    { name: 'b', threads: [{ name: 'w', op: 'write', pattern: 'random', block_kb: 8, size_gb: 0.1 }] },
  ],
  matrix: {
    'vms.*.mapping': ['vm', 'vpid'],
    'vms.0.threads.0.count': [1, 2, 4, 8],
    'vms.0.threads.0.block_kb': [16, 64, 256],
    seed: [1, 2, 3],
  },
};

test('a merged sweep opens the sweep view; a point opens its run', async ({ lab }, testInfo) => {
  test.skip(testInfo.project.name === 'electron', 'native open dialog; covered in browser mode');
  test.setTimeout(180_000);
  const dir = testInfo.outputPath();
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify(SPEC));
  for (let i = 1; i <= 3; i++)
    await run(
      process.execPath,
      ['bin/pvblk.mjs', 'sweep', spec, '--shard', `${i}/3`, '--out', dir, '--jobs', '1'],
      {
        timeout: 90_000,
      },
    );
  const merged = join(dir, 'sweep-view.pvblk.zip');
  const shards = [1, 2, 3].map((i) => join(dir, `shard-${i}-of-3.pvblk.zip`));
  await run(process.execPath, ['bin/pvblk.mjs', 'merge', ...shards, '--out', merged], { timeout: 60_000 });

  await lab.setViewportSize({ width: 1440, height: 2000 });
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  const [chooser] = await Promise.all([
    lab.waitForEvent('filechooser'),
    lab.getByTestId('import-bundle').click(),
  ]);
  await chooser.setFiles({
    name: 'sweep-view.pvblk.zip',
    mimeType: 'application/zip',
    buffer: readFileSync(merged),
  });
  const view = lab.getByTestId('sweep-view');
  await expect(view).toBeVisible();
  await expect(view).toContainText('Sweep · 72 runs');
  // No tab per run: the sweep view replaces them. The UI holds summaries only: nothing to export from it.
  await expect(lab.getByTestId('run-tabs')).toHaveCount(0);
  await expect(lab.getByTestId('export-bundle')).toBeDisabled();
  await expect(lab.getByTestId('save-results')).toBeDisabled();
  // Defaults: x the first numeric parameter (thread count), lines per mapping, panels per block size, seeds averaged.
  await expect(lab.getByTestId('sweep-x')).toHaveValue('vms.0.threads.0.count');
  await expect(lab.getByTestId('sweep-multiple')).toHaveCount(3);
  await expect(lab.getByTestId('sweep-filter-seed')).toHaveValue('');
  await expect(lab.getByTestId('sweep-filter-seed').locator('option').first()).toHaveText(
    'all (mean ± 95% CI)',
  );
  const first = lab.getByTestId('sweep-multiple').first();
  const h0 = await first.locator('canvas').evaluate((c) => (c as unknown as { width: number }).width);
  expect(h0).toBeGreaterThan(100);
  expect(await canvasHash(lab, 'sweep-view')).not.toBe(0);
  await shot(lab, '20-sweep-lines');

  // A click in a line chart opens the nearest point's run: the right end of the first panel is 8 threads, 16 KiB.
  const chart = first.getByTestId('sweep-chart');
  const cb = await chart.boundingBox();
  if (!cb) throw new Error('no chart');
  await chart.click({ position: { x: cb.width - 12, y: cb.height * 0.45 } });
  await expect(lab.getByTestId('sweep-picked')).toContainText(
    /block_kb=16, mapping=(vm|vpid), count=8 · 3 runs/,
  );
  await expect(lab.getByTestId('sweep-open')).toContainText(/count=8, block_kb=16, seed=1/);

  // Another metric redraws.
  const before = await canvasHash(lab, 'sweep-view');
  await lab.getByTestId('sweep-metric').selectOption('jain_vms');
  await expect.poll(() => canvasHash(lab, 'sweep-view')).not.toBe(before);

  // Heatmap over two numeric parameters: thread count × block size, panels per mapping.
  await lab.getByTestId('sweep-metric').selectOption('mbps');
  await lab.getByTestId('sweep-series').selectOption('vms.0.threads.0.block_kb');
  await lab.getByTestId('sweep-panel').selectOption('vms.*.mapping');
  await expect(lab.getByTestId('sweep-heatmap-toggle')).toBeEnabled();
  await lab.getByTestId('sweep-heatmap-toggle').check();
  await expect(lab.getByTestId('sweep-heatmap')).toHaveCount(2);
  await shot(lab, '21-sweep-heatmap');

  // Click the top-right cell of the first panel (vm, 8 threads, 256 KiB): its 3 seeds are listed, the first opens.
  const heat = lab.getByTestId('sweep-heatmap').first();
  const box = await heat.boundingBox();
  if (!box) throw new Error('no heatmap');
  // Geometry of SweepHeatmap: 70 px left, 80 px right, 10 px top, 38 px bottom padding.
  const cw = (box.width - 150) / 4;
  const ch = (box.height - 48) / 3;
  await heat.click({ position: { x: 70 + 3.5 * cw, y: 10 + 0.5 * ch } });
  const picked = lab.getByTestId('sweep-picked');
  await expect(picked).toContainText('block_kb=256, count=8 · 3 runs');
  await expect(picked.getByTestId('sweep-run')).toHaveCount(3);
  await expect(lab.getByTestId('sweep-open')).toContainText('mapping=vm, count=8, block_kb=256, seed=1');
  // Its full charts: the thread table lists the 8 reader threads of VM a and the writer of b.
  await lab.getByTestId('thread-panel').scrollIntoViewIfNeeded();
  await expect(lab.getByTestId('thread-table').locator('tbody tr')).toHaveCount(9);
  // Another seed of the same point.
  await picked.getByTestId('sweep-run').nth(2).click();
  await expect(lab.getByTestId('sweep-open')).toContainText('seed=3');
  await lab.getByTestId('sweep-view').scrollIntoViewIfNeeded();
  await shot(lab, '22-sweep-run-opened');
});
