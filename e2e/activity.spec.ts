/**
 * The scheduler-activity chart says what it shows (issue #16 item 2): thinned while a run whose
 * trace passes its cap streams, and, once the run is done, every event of the zoomed window,
 * fetched by simulating the run again up to the window.
 */
import { expect, pickPreset, shot, test } from './fixtures';

test('a zoomed activity window of a finished run is fetched at full resolution and says so', async ({
  lab,
}) => {
  test.setTimeout(120_000);
  await pickPreset(lab, 'paper-fairness');
  await lab.getByTestId('mode-json').click();
  const editor = lab.getByTestId('spec-json');
  const spec = JSON.parse(await editor.inputValue());
  // One run of 10 s with a small trace cap: its stored scheduler trace is thinned.
  spec.duration_s = 10;
  spec.trace_max_points = 2000;
  spec.matrix = { 'vms.*.mapping': ['vm'] };
  await editor.fill(JSON.stringify(spec, null, 2));
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await lab.getByTestId('pacing-select').selectOption('1');
  await lab.getByTestId('run').click();
  const panel = lab.getByTestId('activity-panel');
  await panel.scrollIntoViewIfNeeded();
  // Live, past the cap: thinned, and said so.
  await expect(panel.getByTestId('activity-resolution')).toHaveText('thinned', { timeout: 30_000 });
  await expect(panel.getByTestId('activity-thinned-note')).toContainText(
    'Thinned: the engine kept an even subset',
  );
  await lab.getByTestId('pacing-select').selectOption('max');
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 60_000 });

  // Done: the shown window (the last 2 s) comes back in full.
  await expect(panel.getByTestId('activity-resolution')).toHaveText('full resolution (window re-simulated)', {
    timeout: 30_000,
  });
  await expect(panel.getByTestId('activity-window-note')).toContainText(
    /Full resolution: all [\d,]+ scheduler events of 8\.00–10\.00 s/,
  );
  await expect(panel.getByTestId('activity-thinned-note')).toHaveCount(0);
  await shot(lab, '21-activity-full-resolution');

  // Another window: fetched again, for that window.
  await panel.getByLabel('Time window').selectOption('0.5');
  await panel.getByLabel('Window end').fill('0.5');
  await expect(panel.getByTestId('activity-window-note')).toContainText(/of 4\.\d\d–5\.\d\d s/, {
    timeout: 30_000,
  });
  await expect(panel.getByTestId('activity-resolution')).toHaveText('full resolution (window re-simulated)');
  await expect(panel.getByTestId('activity-window-error')).toHaveCount(0);
});
