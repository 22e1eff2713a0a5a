/**
 * Every view at the two sizes a researcher's laptop has (1440×900, 1280×720): screenshots in
 * test-results/screenshots/views-*.png (looked at by hand), and the checks a screenshot would fail:
 * nothing wider than the window, the spec card never scrolls sideways, every field of a thread is
 * inside its card, the zones table's headers sit over their inputs.
 */
import type { Page } from '@playwright/test';
import { expect, pickPreset, SCREENSHOTS, sampleCount, test } from './fixtures';

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
];

/** Horizontal overflow of the page and of the spec card (px beyond their boxes). */
async function overflow(page: Page): Promise<{ page: number; side: number }> {
  return page.evaluate(() => {
    // Typed structurally: the node tsconfig has no DOM lib.
    const d = (
      globalThis as unknown as { document: { documentElement: Box; querySelector(s: string): Box | null } }
    ).document;
    interface Box {
      scrollWidth: number;
      clientWidth: number;
    }
    const side = d.querySelector('.side');
    return {
      page: d.documentElement.scrollWidth - d.documentElement.clientWidth,
      side: side ? side.scrollWidth - side.clientWidth : 0,
    };
  });
}

async function view(page: Page, name: string, size: { width: number; height: number }): Promise<void> {
  const o = await overflow(page);
  expect(o.page, `${name}: page wider than the window`).toBeLessThanOrEqual(0);
  expect(o.side, `${name}: the spec card scrolls sideways`).toBeLessThanOrEqual(0);
  // The status bar clips what does not fit: everything but the spec's description (which ends in
  // an ellipsis, its full text in the tooltip) must be inside it.
  for (const item of await page.locator('.statusbar > :not(.desc)').all()) {
    const clipped = await item.evaluate((el) => {
      const e = el as unknown as { scrollWidth: number; clientWidth: number };
      return e.scrollWidth - e.clientWidth;
    });
    expect(
      clipped,
      `${name}: status bar item shrunk into an ellipsis: ${await item.textContent()}`,
    ).toBeLessThanOrEqual(1);
    const b = await item.boundingBox();
    if (b)
      expect(
        b.x + b.width,
        `${name}: status bar item cut off: ${await item.textContent()}`,
      ).toBeLessThanOrEqual(size.width);
  }
  await page.screenshot({ path: `${SCREENSHOTS}/views-${size.width}x${size.height}-${name}.png` });
}

for (const size of SIZES) {
  test(`every view fits at ${size.width}×${size.height}`, async ({ lab }, info) => {
    test.skip(info.project.name === 'electron', 'window size is the OS window; covered in browser mode');
    test.setTimeout(120_000);
    await lab.setViewportSize(size);
    await pickPreset(lab, 'paper-fairness');
    await view(lab, '01-start', size);

    // Threads: every field of every thread inside the card, no sideways scrolling.
    const card = await lab.locator('.side').boundingBox();
    expect(card).not.toBeNull();
    const rows = lab.locator('tr.thread-row');
    expect(await rows.count()).toBeGreaterThan(0);
    for (const row of await rows.all()) {
      await row.scrollIntoViewIfNeeded();
      for (const cell of await row.locator('input, select, button').all()) {
        const b = await cell.boundingBox();
        expect(b, 'a thread field is laid out').not.toBeNull();
        if (b && card)
          expect(b.x + b.width, 'a thread field ends inside the card').toBeLessThanOrEqual(
            card.x + card.width,
          );
      }
    }
    await lab.getByTestId('vm-1-thread-0').scrollIntoViewIfNeeded();
    await view(lab, '02-threads', size);

    // The disk section of a custom model: the zones table's headers over their inputs.
    await lab.locator('summary', { hasText: 'Disk' }).click();
    await lab.getByTestId('field-disk-preset').selectOption('__custom');
    const zones = lab.locator('table.zones');
    await expect(zones).toBeVisible();
    await zones.scrollIntoViewIfNeeded();
    const heads = await zones.locator('thead th').all();
    const cells = await zones.locator('tbody tr').first().locator('td').all();
    // The header's text (not its cell) starts where its column's input starts.
    const textX = (i: number) =>
      heads[i].evaluate((th) => {
        const g = globalThis as unknown as {
          document: {
            createRange(): { selectNodeContents(n: unknown): void; getBoundingClientRect(): { x: number } };
          };
        };
        const r = g.document.createRange();
        r.selectNodeContents(th);
        return r.getBoundingClientRect().x;
      });
    for (const k of [1, 2]) {
      const c = await cells[k].locator('input').boundingBox();
      expect(c).not.toBeNull();
      if (c)
        expect(
          Math.abs((await textX(k)) - c.x),
          `zones column ${k}: header over its input`,
        ).toBeLessThanOrEqual(6);
    }
    await view(lab, '03-custom-disk', size);
    await lab.getByTestId('undo').click();

    await lab.getByTestId('mode-json').click();
    await view(lab, '04-json', size);
    await lab.getByTestId('mode-form').click();

    // A finished matrix run: compare view and every panel.
    await lab.getByTestId('mode-json').click();
    const editor = lab.getByTestId('spec-json');
    await editor.fill((await editor.inputValue()).replace(/"duration_s":\s*[0-9.]+/, '"duration_s": 3'));
    await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
    await lab.getByTestId('mode-form').click();
    await lab.getByTestId('pacing-select').selectOption('max');
    await lab.getByTestId('run').click();
    await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 60_000 });
    await view(lab, '05-matrix-done', size);
    // Categories (vm → vpid → vpid-group) are bars, not a line; overlay axes can be normalised.
    await expect(lab.getByTestId('metric-bars')).toBeVisible();
    await expect(lab.getByTestId('overlay-axes')).toBeVisible();
    await expect(lab.getByTestId('hist-scale')).toHaveValue('log');
    const panels = [
      'compare-view',
      'throughput-panel',
      'fairness-panel',
      'latency-panel',
      'breakdown-panel',
      'seek-panel',
      'latency-dist-panel',
      'activity-panel',
      'thread-panel',
      'disk-panel',
    ];
    for (const [k, id] of panels.entries()) {
      const p = lab.getByTestId(id);
      if ((await p.count()) === 0) continue;
      await p.scrollIntoViewIfNeeded();
      await view(lab, `06-${String(k).padStart(2, '0')}-${id}`, size);
    }

    await lab.getByTestId('backend-real').check();
    await view(lab, '07-real-backend', size);
    await lab.getByTestId('backend-sim').check();

    // Stopped part-way: the partial result in the status bar and the run tabs.
    await lab.getByTestId('pacing-select').selectOption('1');
    await lab.getByTestId('run').click();
    await expect(lab.getByTestId('status')).toHaveText('running');
    await expect.poll(() => sampleCount(lab)).toBeGreaterThan(2);
    await lab.getByTestId('stop').click();
    await expect(lab.getByTestId('partial-badge')).toContainText('1 of 3 runs');
    await lab.getByTestId('compare-view').scrollIntoViewIfNeeded();
    await view(lab, '08-stopped-partial', size);

    // That result exported and imported: the status bar at its fullest (bundle, verify, partial).
    const [download] = await Promise.all([
      lab.waitForEvent('download'),
      lab.getByTestId('export-bundle').click(),
    ]);
    const file = info.outputPath('stopped.pvblk.zip');
    await download.saveAs(file);
    lab.on('dialog', (d) => void d.accept()); // "discard unsaved changes?" (the edited duration)
    const [chooser] = await Promise.all([
      lab.waitForEvent('filechooser'),
      lab.getByTestId('import-bundle').click(),
    ]);
    await chooser.setFiles(file);
    await expect(lab.getByTestId('imported-badge')).toBeVisible();
    await expect(lab.getByTestId('partial-badge')).toBeVisible();
    await view(lab, '09-imported-partial', size);
    await lab.getByTestId('bundle-charts').scrollIntoViewIfNeeded();
    await view(lab, '10-bundle-charts', size);
  });
}

test("one VM: the compare view says why there is no Jain's index", async ({ lab }) => {
  test.setTimeout(90_000);
  await pickPreset(lab, 'pool-vs-vm');
  await lab.getByTestId('mode-json').click();
  const editor = lab.getByTestId('spec-json');
  await editor.fill(
    (await editor.inputValue())
      .replace(/"duration_s":\s*[0-9.]+/, '"duration_s": 1')
      .replace(/"warmup_s":\s*[0-9.]+/, '"warmup_s": 0.2'),
  );
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await lab.getByTestId('pacing-select').selectOption('max');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 60_000 });
  await expect(lab.getByTestId('jain-one-vm')).toContainText('needs at least two VMs');
});
