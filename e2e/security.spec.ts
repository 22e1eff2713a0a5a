import { expect, test } from '@playwright/test';

const PORT = process.env.PVBLK_E2E_PORT ?? '47613';
const base = `http://127.0.0.1:${PORT}`;

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'browser', 'browser-mode server only');
});

test('every request without the token is refused', async ({ request }) => {
  expect((await request.get(`${base}/`)).status()).toBe(403);
  expect((await request.get(`${base}/?token=wrong`)).status()).toBe(403);
  expect((await request.post(`${base}/api/listPresets`, { data: { args: [] } })).status()).toBe(403);
  const ok = await request.post(`${base}/api/listPresets`, {
    data: { args: [] },
    headers: { 'x-pvblk-token': process.env.PVBLK_E2E_TOKEN ?? '' },
  });
  expect(ok.status()).toBe(200);
});

test('malformed calls are rejected at the boundary', async ({ request }) => {
  const headers = { 'x-pvblk-token': process.env.PVBLK_E2E_TOKEN ?? '' };
  const bad = await request.post(`${base}/api/startRun`, {
    data: { args: [{ spec: {}, pacing: 7 }] },
    headers,
  });
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error).toContain('pacing');
  const unknown = await request.post(`${base}/api/eval`, { data: { args: [] }, headers });
  expect(unknown.status()).toBe(400);
});
