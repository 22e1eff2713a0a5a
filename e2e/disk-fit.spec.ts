/**
 * Switching to a small disk: the Disk Model panel shows the spec's disk at once (valid or not), and
 * "fit images and regions to this disk" scales the preset's layout onto it, explained.
 */
import { expect, pickPreset, shot, test } from './fixtures';

test('a smaller disk: the panel follows the spec, and the layout can be fitted to it', async ({ lab }) => {
  await pickPreset(lab, 'paper-fairness');
  await expect(lab.getByTestId('disk-summary')).toContainText('sata-7200');
  await lab.locator('summary', { hasText: 'Disk' }).click();
  await lab.getByTestId('field-disk-preset').selectOption('hp97560');
  // The images (40 GiB each) end beyond 1.28 GiB: invalid, but the panel shows the new disk.
  await expect(lab.getByTestId('spec-error').first()).toContainText('beyond the disk');
  await expect(lab.getByTestId('disk-summary')).toContainText('hp97560');
  await expect(lab.getByTestId('disk-summary')).toContainText('1.3 GiB');
  const fit = lab.getByTestId('fit-disk');
  await expect(fit).toContainText('keeps its proportions');
  await expect(fit).toContainText('this disk holds 1.28 GiB');
  await shot(lab, '15-fit-disk');
  await lab.getByTestId('fit-disk-apply').click();
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await expect(fit).toHaveCount(0);
  // A custom copy is named as one, and the panel says so.
  await lab.getByTestId('field-disk-preset').selectOption('__custom');
  await expect(lab.getByTestId('disk-summary')).toContainText('hp97560 (custom)');
  await expect(lab.getByTestId('run')).toBeEnabled();
});
