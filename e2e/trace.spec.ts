import { join } from 'node:path';
import { canvasHash, expect, pickPreset, SCREENSHOTS, test } from './fixtures';

const TRACES = join(process.cwd(), 'examples', 'traces');

test('a thread replays a trace chosen in the editor, with a preview of the file', async ({ lab }) => {
  await pickPreset(lab, 'native-random-fifo');
  await lab.getByTestId('native-thread-0-more').click();
  await lab.getByTestId('native-thread-0-trace-on').check();
  const file = lab.getByTestId('native-thread-0-trace-file');
  await file.fill(join(TRACES, 'nope.blkparse'));
  await file.blur();
  await expect(lab.getByTestId('native-thread-0-trace-error')).toContainText('cannot read (ENOENT)');
  await file.fill(join(TRACES, 'three-readers.blkparse'));
  await file.blur();
  const preview = lab.getByTestId('native-thread-0-trace-preview');
  await expect(preview.getByTestId('trace-preview-records')).toHaveText('1,800');
  await expect(preview.getByTestId('trace-preview-pids')).toHaveText('4101, 4102, 4103');
  // Every format previews (the Node side scans the file through the same parsers as a run).
  const format = lab.getByTestId('native-thread-0-trace-format');
  for (const [f, name, count] of [
    ['fio-iolog', 'random-4k.v2.iolog', '200'],
    ['fio-iolog', 'random-4k.v3.iolog', '200'],
    ['disksim-ascii', 'mixed.disksim-ascii', '300'],
    ['disksim-validate', 'hp_c3323a.trace', '9,074'],
    ['msr-csv', 'wdev-sample.msr.csv', '300'],
    ['blkparse', 'three-readers.blkparse', '1,800'],
  ]) {
    await format.selectOption(f);
    await file.fill(join(TRACES, name));
    await file.blur();
    await expect(preview.getByTestId('trace-preview-records')).toHaveText(count);
  }
  await lab.getByTestId('native-thread-0-trace-mode').selectOption('closed');
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  const chooser = lab.getByTestId('native-thread-0-trace');
  await chooser.scrollIntoViewIfNeeded();
  await chooser.screenshot({ path: join(SCREENSHOTS, 'trace-01-chooser.png') });
  await lab.getByTestId('pacing-select').selectOption('max');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 45_000 });
  await expect(lab.getByTestId('thread-table').locator('tbody tr')).not.toHaveCount(0);
  // The run's trace account: the whole trace (1,800 records) replayed closed-loop, nothing out of range.
  const summary = lab.getByTestId('trace-summary');
  await expect(summary.locator('tbody tr')).toHaveCount(1);
  await expect(summary.locator('tbody tr td').nth(2)).toHaveText('1800');
  await expect(summary.locator('tbody tr td').nth(4)).toHaveText('0');
});

test('a validation run overlays the simulated and measured response-time distributions', async ({ lab }) => {
  const panel = lab.getByTestId('trace-validation');
  await panel.scrollIntoViewIfNeeded();
  await lab.getByTestId('validate-file').fill(join(TRACES, 'hp_c3323a.trace'));
  await lab.getByTestId('validate-disk').selectOption('hp-c3323a');
  await lab.getByTestId('validate-run').click();
  await expect(lab.getByTestId('validate-summary')).toContainText('9,074 requests');
  await expect(lab.getByTestId('validate-summary')).toContainText('DiskSim 4.0 reaches 0.306 ms');
  await expect(lab.getByTestId('validate-rms')).toHaveText(/^\d+\.\d{3} ms$/);
  expect(await canvasHash(lab, 'trace-validation')).not.toBe('');
  await panel.screenshot({
    path: join(process.cwd(), 'test-results', 'screenshots', 'trace-02-validation.png'),
  });
  await lab.getByTestId('validate-file').fill(join(TRACES, 'three-readers.blkparse'));
  await lab.getByTestId('validate-run').click();
  await expect(lab.getByTestId('validate-error')).toContainText('three-readers.blkparse: line 1, field line');
});
