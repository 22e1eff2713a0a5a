import { canvasHash, expect, pickPreset, SCREENSHOTS, sampleCount, shot, test } from './fixtures';

// A single-run preset (noop host scheduler, one native random reader) and the default matrix one.
const SINGLE = 'native-random-fifo';
const MATRIX = 'paper-fairness';

test('loads the lab with presets and a valid default spec', async ({ lab }) => {
  await expect(lab.getByTestId('preset-select').locator('option')).not.toHaveCount(0);
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await expect(lab.getByTestId('run')).toBeEnabled();
  await expect(lab.getByTestId('status')).toHaveText('idle');
  await expect(lab.getByTestId('disk-summary')).toContainText('rpm');
  await shot(lab, '01-start');
});

test('runs a preset and the live throughput chart grows', async ({ lab }) => {
  await pickPreset(lab, SINGLE);
  await lab.getByTestId('pacing-select').selectOption('10');
  const before = await canvasHash(lab, 'throughput-chart');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('running');
  await expect.poll(() => sampleCount(lab)).toBeGreaterThan(4);
  await expect.poll(() => canvasHash(lab, 'throughput-chart')).not.toBe(before);
  const mid = await canvasHash(lab, 'throughput-chart');
  await expect.poll(() => sampleCount(lab)).toBeGreaterThan(12);
  await expect.poll(() => canvasHash(lab, 'throughput-chart')).not.toBe(mid);
  await shot(lab, '02-running');
  await lab.getByTestId('pacing-select').selectOption('max');
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 45_000 });
  await expect(lab.getByTestId('progress')).toHaveAttribute('aria-valuenow', '100');
  await expect(lab.getByTestId('thread-table').locator('tbody tr')).not.toHaveCount(0);
  await lab.setViewportSize({ width: 1440, height: 2000 });
  await shot(lab, '03-done');
});

test('pause, resume and stop', async ({ lab }) => {
  await pickPreset(lab, SINGLE);
  await lab.getByTestId('pacing-select').selectOption('1');
  await lab.getByTestId('run').click();
  await expect.poll(() => sampleCount(lab)).toBeGreaterThan(2);
  await lab.getByTestId('pause').click();
  await expect(lab.getByTestId('status')).toHaveText('paused');
  await lab.waitForTimeout(400);
  const paused = await sampleCount(lab);
  await lab.waitForTimeout(1200);
  expect(await sampleCount(lab)).toBe(paused);
  await lab.getByTestId('resume').click();
  await expect(lab.getByTestId('status')).toHaveText('running');
  await expect.poll(() => sampleCount(lab)).toBeGreaterThan(paused);
  await lab.getByTestId('stop').click();
  await expect(lab.getByTestId('status')).toHaveText('stopped');
  const stopped = await sampleCount(lab);
  await lab.waitForTimeout(800);
  expect(await sampleCount(lab)).toBe(stopped);
  await expect(lab.getByTestId('run')).toBeEnabled();
});

test('an invalid value shows an inline error naming the field and disables Run', async ({ lab }) => {
  await pickPreset(lab, SINGLE);
  await lab.getByTestId('mode-json').click();
  const editor = lab.getByTestId('spec-json');
  const text = await editor.inputValue();
  await editor.fill(text.replace(/"duration_s":\s*[0-9.]+/, '"duration_s": -5'));
  await expect(lab.getByTestId('spec-error').first()).toContainText('duration_s');
  await expect(lab.getByTestId('run')).toBeDisabled();
  await shot(lab, '04-invalid');
  await editor.fill(text);
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await expect(lab.getByTestId('run')).toBeEnabled();
  // Broken JSON is reported too.
  await editor.fill('{ "name": ');
  await expect(lab.getByTestId('spec-error').first()).toContainText('(json)');
  await expect(lab.getByTestId('run')).toBeDisabled();
});

test('the form editor changes the mapping and thread count', async ({ lab }) => {
  await pickPreset(lab, MATRIX);
  await lab.getByTestId('mode-form').click();
  await lab.getByTestId('vm-1-thread-0-count').fill('0');
  await lab.getByTestId('vm-1-thread-0-count').blur();
  await expect(lab.getByTestId('spec-error').first()).toContainText('vms.1.threads.0.count');
  await expect(lab.getByTestId('run')).toBeDisabled();
  await lab.getByTestId('vm-1-thread-0-count').fill('2');
  await lab.getByTestId('vm-1-thread-0-count').blur();
  await lab.getByTestId('vm-0-mapping').selectOption('vpid');
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await lab.getByTestId('mode-json').click();
  const json = JSON.parse(await lab.getByTestId('spec-json').inputValue());
  expect(json.vms[0].mapping).toBe('vpid');
  expect(json.vms[1].threads[0].count).toBe(2);
  // Undo walks back to the preset as loaded: no unsaved changes left.
  await expect(lab.getByTestId('spec-dirty')).toBeVisible();
  for (let i = 0; i < 10 && (await lab.getByTestId('undo').isEnabled()); i++)
    await lab.getByTestId('undo').click();
  await expect(lab.getByTestId('spec-dirty')).toBeHidden();
  const back = JSON.parse(await lab.getByTestId('spec-json').inputValue());
  expect(back.vms[0].mapping).toBe('vm');
  expect(back.vms[1].threads[0].count).toBe(4);
});

test('an edited experiment runs and the fairness chart and thread table update', async ({ lab }) => {
  await pickPreset(lab, MATRIX);
  await lab.getByRole('button', { name: 'remove matrix field vms.*.mapping' }).click();
  await lab.getByTestId('vm-1-thread-0-count').fill('2');
  await lab.getByTestId('vm-1-thread-0-count').blur();
  await lab.getByTestId('vm-0-mapping').selectOption('vpid-group');
  await lab.getByTestId('vm-1-mapping').selectOption('vpid-group');
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await expect(lab.getByTestId('run')).toHaveText('Run');
  await expect(lab.getByTestId('jain-value')).toHaveText('—');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('jain-value')).toHaveText(/^0\.\d{3}$|^1\.000$/);
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 45_000 });
  await expect(lab.getByTestId('thread-table').locator('tbody tr')).toHaveCount(3);
  // finished: how long each thread's oldest unfinished I/O had waited at the end (panels below
  // the fold catch up when they scroll into view)
  await lab.getByTestId('thread-panel').scrollIntoViewIfNeeded();
  await expect(lab.getByTestId('thread-waiting')).toHaveCount(3);
  await expect(lab.getByTestId('thread-waiting').first()).toHaveText(/^\d+(\.\d+)? (ms|s)$/);
  await expect(lab.getByTestId('compare-view')).toHaveCount(0);
  await shot(lab, '09-edited-run');
});

test('a matrix preset runs every run and shows the compare view', async ({ lab }) => {
  await pickPreset(lab, MATRIX);
  await expect(lab.getByTestId('run')).toContainText('runs');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('compare-view')).toBeVisible();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 50_000 });
  const n = await lab.getByTestId('run-tab').count();
  expect(n).toBeGreaterThan(1);
  await expect(lab.getByTestId('compare-count')).toHaveText(`${n} of ${n} runs finished`);
  await expect(lab.getByTestId('compare-table').locator('tbody tr')).toHaveCount(n);
  await shot(lab, '05-matrix');
  await lab.setViewportSize({ width: 1440, height: 2400 });
  await shot(lab, '06-matrix-all-panels');
});

test('host tunables show Linux defaults and reset; a custom disk redraws the seek curve', async ({ lab }) => {
  await pickPreset(lab, MATRIX);
  await lab.getByTestId('tunables-section').locator('summary').click();
  const quantum = lab.getByTestId('tunable-quantum');
  await expect(quantum).toHaveAttribute('placeholder', '8');
  await quantum.fill('4');
  await quantum.blur();
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await lab.getByRole('button', { name: 'reset quantum to the Linux default 8' }).click();
  await expect(quantum).toHaveValue('');
  await lab.locator('summary', { hasText: 'Disk' }).click();
  await lab.getByTestId('field-disk-preset').selectOption('__custom');
  await expect(lab.getByTestId('field-seek-average')).toBeVisible();
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await expect(lab.getByTestId('disk-summary')).toContainText('avg seek');
  const before = await lab.getByTestId('disk-summary').textContent();
  await lab.getByTestId('field-seek-average').fill('12');
  await lab.getByTestId('field-seek-average').blur();
  await expect(lab.getByTestId('disk-summary')).not.toHaveText(before ?? '');
  await lab.setViewportSize({ width: 1440, height: 2000 });
  await shot(lab, '07-editor');
});

test('saves and loads a spec file', async ({ lab }, info) => {
  test.skip(info.project.name === 'electron', 'native file dialogs: browser mode only');
  await pickPreset(lab, SINGLE);
  const [download] = await Promise.all([lab.waitForEvent('download'), lab.getByTestId('save-spec').click()]);
  expect(download.suggestedFilename()).toBe('native-random-fifo.json');
  const path = await download.path();
  const { readFile } = await import('node:fs/promises');
  const saved = JSON.parse(await readFile(path, 'utf8'));
  expect(saved.name).toBe('native-random-fifo');
  saved.name = 'loaded-from-file';
  const [chooser] = await Promise.all([
    lab.waitForEvent('filechooser'),
    lab.getByTestId('open-spec').click(),
  ]);
  await chooser.setFiles({
    name: 'mine.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(saved)),
  });
  await expect(lab.getByTestId('field-name')).toHaveValue('loaded-from-file');
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
});

test.describe('dark theme', () => {
  test.use({ colorScheme: 'dark' });
  test('follows the OS colour scheme', async ({ lab }, info) => {
    test.skip(info.project.name === 'electron', 'colour-scheme emulation: browser mode only');
    await pickPreset(lab, MATRIX);
    await lab.getByTestId('run').click();
    await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 50_000 });
    await expect(lab.locator('body')).toHaveCSS('background-color', 'rgb(13, 17, 23)');
    await shot(lab, '08-dark');
  });
});

test('saves a result and compares it with a new run', async ({ lab }, info) => {
  test.skip(info.project.name === 'electron', 'native file dialogs: browser mode only');
  await pickPreset(lab, SINGLE);
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 45_000 });
  const [download] = await Promise.all([
    lab.waitForEvent('download'),
    lab.getByTestId('save-results').click(),
  ]);
  expect(download.suggestedFilename()).toBe('native-random-fifo.result.json');
  const { readFile } = await import('node:fs/promises');
  const buffer = await readFile(await download.path());
  expect(JSON.parse(buffer.toString('utf8')).runs).toHaveLength(1);
  const [chooser] = await Promise.all([
    lab.waitForEvent('filechooser'),
    lab.getByTestId('add-results').click(),
  ]);
  await chooser.setFiles({ name: 'baseline.result.json', mimeType: 'application/json', buffer });
  await expect(lab.getByTestId('compare-view')).toBeVisible();
  await expect(lab.getByTestId('compare-table').locator('tbody tr')).toHaveCount(2);
  await expect(lab.getByTestId('compare-table')).toContainText('source=baseline');
  // A file that is not a result is reported in place.
  const [chooser2] = await Promise.all([
    lab.waitForEvent('filechooser'),
    lab.getByTestId('add-results').click(),
  ]);
  await chooser2.setFiles({
    name: 'bad.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"name":"x"}'),
  });
  await expect(lab.getByTestId('error-banner')).toContainText('bad.json is not an experiment result');
  await shot(lab, '10-saved-compare');
});

test('switching presets over unsaved edits asks first: dismiss keeps them, accept loads', async ({ lab }) => {
  await pickPreset(lab, MATRIX);
  await lab.getByTestId('mode-form').click();
  await lab.getByTestId('vm-1-thread-0-count').fill('2');
  await lab.getByTestId('vm-1-thread-0-count').blur();
  await expect(lab.getByTestId('spec-dirty')).toBeVisible();
  const messages: string[] = [];
  lab.once('dialog', (d) => {
    messages.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await lab.getByTestId('preset-select').selectOption(SINGLE);
  await expect.poll(() => messages.length).toBe(1);
  expect(messages[0]).toMatch(/^confirm: .*unsaved/);
  await expect(lab.getByTestId('preset-select')).toHaveValue(MATRIX);
  await expect(lab.getByTestId('vm-1-thread-0-count')).toHaveValue('2');
  await expect(lab.getByTestId('spec-dirty')).toBeVisible();

  lab.once('dialog', (d) => {
    messages.push(`${d.type()}: ${d.message()}`);
    void d.accept();
  });
  await lab.getByTestId('preset-select').selectOption(SINGLE);
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  expect(messages).toHaveLength(2);
  await expect(lab.getByTestId('preset-select')).toHaveValue(SINGLE);
  await expect(lab.getByTestId('spec-dirty')).toBeHidden();
  await expect(lab.getByTestId('vm-1-thread-0-count')).toHaveCount(0);
  // Not dirty any more: the next switch does not ask.
  await pickPreset(lab, MATRIX);
  expect(messages).toHaveLength(2);
});

test('leaving the page with unsaved edits asks (beforeunload)', async ({ lab }, info) => {
  test.skip(info.project.name === 'electron', 'Electron turns it into a native dialog on close');
  await pickPreset(lab, MATRIX);
  await lab.getByTestId('mode-form').click();
  await lab.getByTestId('vm-1-thread-0-count').fill('3');
  await lab.getByTestId('vm-1-thread-0-count').blur();
  await expect(lab.getByTestId('spec-dirty')).toBeVisible();
  const dialog = new Promise<string>((resolve) =>
    lab.once('dialog', (d) => {
      resolve(d.type());
      void d.accept();
    }),
  );
  await lab.close({ runBeforeUnload: true });
  expect(await dialog).toBe('beforeunload');
});

test('the thread "more" row edits mix, timing, arrivals, priority and sync writes', async ({ lab }) => {
  await pickPreset(lab, MATRIX);
  await lab.getByTestId('mode-form').click();
  await expect(lab.getByTestId('vm-0-thread-0-details')).toHaveCount(0);
  await lab.getByTestId('vm-0-thread-0-more').click();
  await expect(lab.getByTestId('vm-0-thread-0-details')).toBeVisible();
  await lab.getByLabel('thread 0 op').first().selectOption('rw');
  await lab.getByTestId('vm-0-thread-0-rwmix_read').fill('70');
  await lab.getByTestId('vm-0-thread-0-rwmix_read').blur();
  await lab.getByTestId('vm-0-thread-0-start_s').fill('1');
  await lab.getByTestId('vm-0-thread-0-start_s').blur();
  // stop before start: flagged inline, Run disabled
  await lab.getByTestId('vm-0-thread-0-stop_s').fill('0.5');
  await lab.getByTestId('vm-0-thread-0-stop_s').blur();
  await expect(lab.getByTestId('vm-0-thread-0-stop_s')).toHaveClass(/bad/);
  await expect(lab.getByTestId('run')).toBeDisabled();
  await lab.getByTestId('vm-0-thread-0-stop_s').fill('8');
  await lab.getByTestId('vm-0-thread-0-stop_s').blur();
  await lab.getByTestId('vm-0-thread-0-poisson').check();
  await lab.getByTestId('vm-0-thread-0-rate_iops').fill('150');
  await lab.getByTestId('vm-0-thread-0-rate_iops').blur();
  await lab.getByTestId('vm-0-thread-0-ioprio_class').selectOption('idle');
  await lab.getByTestId('vm-0-thread-0-ioprio').fill('2');
  await lab.getByTestId('vm-0-thread-0-ioprio').blur();
  await lab.getByTestId('vm-0-thread-0-sync_writes').uncheck();
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await expect(lab.getByTestId('vm-0-thread-0-stop_s')).not.toHaveClass(/bad/);
  const details = lab.getByTestId('vm-0-thread-0-details');
  await details.locator('xpath=ancestor::div[contains(@class,"threads")][1]').evaluate((el) => {
    el.scrollLeft = 0;
  });
  await details
    .locator('xpath=ancestor::fieldset[1]')
    .screenshot({ path: `${SCREENSHOTS}/14-thread-details.png` });
  await lab.getByTestId('mode-json').click();
  const t = JSON.parse(await lab.getByTestId('spec-json').inputValue()).vms[0].threads[0];
  expect(t).toMatchObject({
    op: 'rw',
    rwmix_read: 70,
    start_s: 1,
    stop_s: 8,
    arrival: { type: 'poisson', rate_iops: 150 },
    ioprio_class: 'idle',
    ioprio: 2,
    sync_writes: false,
  });
});
