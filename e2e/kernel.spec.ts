/**
 * The kernel backend in the UI (browser mode): its options, its inline refusals (no QEMU, naming
 * the apt packages; a spec the guest cannot express, with the reason), a kernel bundle imported
 * (the comparison simulation shown, the kernel overlaid, "Compare sim vs kernel", the kernel
 * panel, Verify), and — where QEMU and a cached kernel exist — one short kernel run end to end.
 *
 * The imported bundle is made here by the app's own export (the server's exportBundle): a simulation
 * of the spec with a guest overhead as the comparison, and a result of kernel shape beside it (its
 * numbers are the simulation's: this tests the import, not the kernel). PVBLK_E2E_KERNEL_BUNDLE=FILE also
 * imports a bundle written by `pvblk kernel --out` (a real kernel run) and screenshots it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import type { ExperimentResult } from '../main/common/result';
import { parseSpec } from '../main/common/spec/validate';
import { ENGINE_VERSION } from '../main/engine/version';
import { cachedTrees } from '../main/node/kernel/kernel-package';
import { qemuAvailable } from '../main/node/kernel/qemu';
import { kernelSimRuns } from '../main/node/kernel/sim-spec';
import { kernelShaped, overheadsOnly } from '../main/node/kernel/testing';
import { runTasks } from '../main/node/runner';
import { chooseBundle, expect, shot, test } from './fixtures';

const execFileP = promisify(execFile);

/** Calls the browser-mode server's API as the page does (POST /api/<method>, the test token). */
async function api(method: string, args: unknown[]): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${process.env.PVBLK_E2E_PORT ?? 47613}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-pvblk-token': process.env.PVBLK_E2E_TOKEN ?? '' },
    body: JSON.stringify({ args }),
  });
  const reply = (await res.json()) as { ok: boolean; value?: unknown; error?: string };
  if (!reply.ok) throw new Error(`${method}: ${reply.error}`);
  return reply.value;
}

const SPEC = {
  name: 'kernel-vs-sim',
  seed: 11,
  duration_s: 2,
  warmup_s: 0,
  sample_interval_ms: 250,
  host: { scheduler: 'bfq' },
  vms: [
    {
      name: 'VM-A',
      weight: 300,
      image: { offset_gb: 0, size_gb: 8 },
      threads: [{ name: 'a', pattern: 'sequential', block_kb: 64, size_gb: 2 }],
    },
    {
      name: 'VM-B',
      weight: 100,
      image: { offset_gb: 100, size_gb: 8 },
      threads: [{ name: 'b', pattern: 'sequential', block_kb: 64, size_gb: 2 }],
    },
  ],
  matrix: { 'vms.*.mapping': ['vm', 'vpid'] },
};

/** Puts `spec` into the JSON editor and waits until it is valid. */
async function setSpec(page: Page, spec: object): Promise<void> {
  await expect(page.getByTestId('spec-ok')).toHaveText('spec is valid');
  await page.getByTestId('mode-json').click();
  await page.getByTestId('spec-json').fill(JSON.stringify(spec, null, 2));
  await expect(page.getByTestId('spec-ok')).toHaveText('spec is valid');
}

/** A kernel bundle of SPEC through the bundle writer (see the file's comment). */
async function kernelBundle(): Promise<Buffer> {
  const spec = parseSpec(SPEC);
  const overhead = [850, 1200];
  const header = { name: spec.name, seed: spec.seed, engine_version: ENGINE_VERSION };
  const sim: ExperimentResult = {
    ...header,
    runs: await runTasks(kernelSimRuns(spec, overheadsOnly(header, overhead)), { jobs: 1 }),
  };
  const kernel = kernelShaped(sim, overhead);
  const out = (await api('exportBundle', [{ spec: SPEC, result: sim, kernel }])) as { base64: string };
  return Buffer.from(out.base64, 'base64');
}

test('kernel backend: its options, and inline refusals that say what to do', async ({ lab }, info) => {
  test.skip(info.project.name === 'electron', 'paths are typed in browser mode');
  await setSpec(lab, SPEC);
  await lab.getByTestId('backend-kernel').check();
  await expect(lab.getByTestId('kernel-vcpus')).toHaveValue('2');
  await expect(lab.getByTestId('kernel-duration')).toHaveAttribute('placeholder', '2');
  await expect(lab.getByTestId('kernel-path')).toBeVisible();
  await expect(lab.getByTestId('kernel-qemu')).toBeVisible();
  await expect(lab.getByTestId('compare-backends')).toHaveText('Compare sim vs kernel');
  // This machine's answer: QEMU and the tools, or what is missing.
  await expect(lab.getByTestId('kernel-check-ok').or(lab.getByTestId('kernel-check-error'))).toBeVisible();
  await shot(lab, '20-kernel-backend-options');

  // No QEMU (a path that does not exist): the error names the apt packages; Run starts nothing.
  await lab.getByTestId('kernel-qemu').fill('/nonexistent/qemu-system-x86_64');
  await lab.getByTestId('kernel-qemu').dispatchEvent('change');
  const err = lab.getByTestId('kernel-check-error');
  await expect(err).toContainText(
    'The kernel backend cannot run here: /nonexistent/qemu-system-x86_64 not found',
  );
  await expect(err).toContainText('apt-get install qemu-system-x86 busybox-static fio');
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('idle');
  await shot(lab, '21-kernel-no-qemu');

  // A spec the guest cannot express: the reason, before anything boots.
  await lab.getByTestId('kernel-qemu').fill('');
  await lab.getByTestId('kernel-qemu').dispatchEvent('change');
  await setSpec(lab, { ...SPEC, matrix: { 'vms.*.mapping': ['vm', 'pool'] } });
  await expect(err).toContainText(
    'The guest cannot express this spec: vm VM-A: mapping pool cannot run in the guest',
  );
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('idle');
  // Back to the simulator: the kernel's options and refusals go away.
  await lab.getByTestId('backend-sim').check();
  await expect(lab.getByTestId('kernel-vcpus')).toHaveCount(0);
  await expect(err).toHaveCount(0);
});

test('kernel bundle: the simulation with the kernel overlaid, then sim vs kernel side by side', async ({
  lab,
}, info) => {
  test.skip(info.project.name === 'electron', 'the bundle is picked through the browser file chooser');
  test.setTimeout(120_000);
  const bytes = await kernelBundle();
  writeFileSync(info.outputPath('kernel.pvblk.zip'), bytes);
  await expect(lab.getByTestId('spec-ok')).toHaveText('spec is valid');
  await chooseBundle(lab, 'kernel.pvblk.zip', bytes);
  await expect(lab.getByTestId('imported-badge')).toContainText('kernel.pvblk.zip');
  await expect(lab.getByTestId('imported-backends')).toHaveText('simulated + kernel');
  await expect(lab.getByTestId('status')).toHaveText('done');
  await expect(lab.getByTestId('throughput-overlay')).toContainText('kernel');
  await expect(lab.getByTestId('compare-backends')).toBeEnabled();
  await expect(lab.getByTestId('compare-backends')).toHaveText('Compare sim vs kernel');
  // Verify re-simulates the comparison with each run's stored overhead: identical.
  await lab.getByTestId('verify-import').click();
  await expect(lab.getByTestId('imported-verified')).toHaveText('verified', { timeout: 60_000 });

  await lab.getByTestId('compare-backends').click();
  await expect(lab.getByTestId('compare-view')).toBeVisible();
  const rows = lab.getByTestId('compare-table').locator('tbody tr');
  await expect(rows).toHaveCount(4);
  await expect(rows.nth(0)).toContainText('source=sim');
  await expect(rows.nth(2)).toContainText('source=kernel');
  await expect(lab.getByTestId('kernel-panel')).toBeVisible();
  await expect(lab.getByTestId('kernel-version').first()).toContainText('Linux 6.1.0-57-amd64');
  await expect(lab.getByTestId('kernel-scheduler').first()).toHaveText('bfq');
  await expect(lab.getByTestId('kernel-overhead').first()).toContainText('0.85 ms');
  await lab.getByTestId('run-tab').nth(2).click();
  await expect(lab.getByTestId('throughput-overlay')).toContainText('sim');
  await lab.setViewportSize({ width: 1440, height: 2200 });
  await lab.waitForTimeout(500);
  await shot(lab, '22-kernel-bundle-sim-vs-kernel');
  await lab.setViewportSize({ width: 1440, height: 960 });

  // Exported again, the bundle still holds both.
  const [download] = await Promise.all([
    lab.waitForEvent('download'),
    lab.getByTestId('export-bundle').click(),
  ]);
  const again = info.outputPath('again.pvblk.zip');
  await download.saveAs(again);
  const b = (await api('importBundle', [
    { base64: readFileSync(again).toString('base64'), name: 'again' },
  ])) as {
    result: ExperimentResult;
    kernel?: ExperimentResult;
  };
  expect(b.kernel?.runs).toHaveLength(2);
  expect(b.result.runs).toHaveLength(2);

  const real = process.env.PVBLK_E2E_KERNEL_BUNDLE;
  if (real && existsSync(real)) {
    await chooseBundle(lab, real.split('/').pop() ?? 'k.pvblk.zip', readFileSync(real));
    await expect(lab.getByTestId('imported-backends')).toHaveText('simulated + kernel');
    await lab.getByTestId('verify-import').click();
    await expect(lab.getByTestId('imported-verified')).toHaveText('verified', { timeout: 60_000 });
    await lab.getByTestId('compare-backends').click();
    await expect(lab.getByTestId('kernel-panel')).toBeVisible();
    await lab.setViewportSize({ width: 1440, height: 2400 });
    await lab.waitForTimeout(500);
    await shot(lab, '23-kernel-cli-bundle-imported');
  }
});

test('kernel backend: one short run under the real kernel, stages shown, then sim vs kernel', async ({
  lab,
}, info) => {
  test.skip(info.project.name === 'electron', 'paths are typed in browser mode');
  test.skip(
    !qemuAvailable() || cachedTrees().length === 0 || !existsSync(join('/usr/bin', 'fio')),
    'needs QEMU, fio and a cached kernel package (the kernel alone suite fetches it)',
  );
  test.setTimeout(240_000);
  const one = {
    ...SPEC,
    duration_s: 1,
    matrix: undefined,
    vms: SPEC.vms.map((v) => ({ ...v, mapping: 'vpid-group' })),
  };
  await setSpec(lab, one);
  await lab.getByTestId('backend-kernel').check();
  await expect(lab.getByTestId('kernel-check-ok')).toBeVisible();
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('kernel-stage')).toContainText(/booting|initramfs|guest/, { timeout: 60_000 });
  await expect(lab.getByTestId('kernel-log')).toBeVisible();
  await shot(lab, '24-kernel-run-booting');
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 200_000 });
  await expect(lab.getByTestId('kernel-error')).toHaveCount(0);
  await expect(lab.getByTestId('kernel-panel')).toBeVisible();
  await expect(lab.getByTestId('kernel-scheduler')).toHaveText('bfq');
  await expect(lab.getByTestId('kernel-tunables')).toContainText('io.bfq.weight');
  await expect(lab.getByTestId('throughput-overlay')).toContainText('sim');
  await lab.getByTestId('compare-backends').click();
  await expect(lab.getByTestId('compare-table').locator('tbody tr')).toHaveCount(2);
  await lab.setViewportSize({ width: 1440, height: 2000 });
  await lab.waitForTimeout(400);
  await shot(lab, '25-kernel-run-done');
  // Exported, the run is a kernel bundle whose comparison simulation replays identical.
  const [download] = await Promise.all([
    lab.waitForEvent('download'),
    lab.getByTestId('export-bundle').click(),
  ]);
  const file = info.outputPath('kernel-run.pvblk.zip');
  await download.saveAs(file);
  await expect(lab.getByTestId('bundle-error')).toHaveCount(0);
  const replay = await execFileP(process.execPath, ['bin/pvblk.mjs', 'replay', file], { timeout: 60_000 });
  expect(replay.stdout).toContain('also holds kernel results (results-kernel.json, 1 run');
  expect(replay.stdout).toContain('identical (1 run)');
});
