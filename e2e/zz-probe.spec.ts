import { expect, pickPreset, test } from './fixtures';
test('probe', async ({ lab }) => {
  test.setTimeout(120_000);
  await pickPreset(lab, 'paper-fairness');
  await lab.getByTestId('pacing-select').selectOption('max');
  await lab.addInitScript(() => {
    const w = globalThis as any;
    w.__lt = [];
    w.__msgs = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__lt.push([Math.round(e.startTime), Math.round(e.duration)]); }).observe({ type: 'longtask', buffered: false } as any);
    const orig = WebSocket.prototype.addEventListener;
    const desc = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')!;
    Object.defineProperty(WebSocket.prototype, 'onmessage', { set(fn) { desc.set!.call(this, (m: MessageEvent) => { const s = String(m.data); const t0 = performance.now(); fn(m); const d = performance.now() - t0; if (d > 30 || s.length > 200000) w.__msgs.push([Math.round(t0), Math.round(d), s.length, s.slice(0, 60)]); }); }, get() { return desc.get!.call(this); } });
  });
  await lab.reload();
  await pickPreset(lab, 'paper-fairness');
  await lab.getByTestId('pacing-select').selectOption('max');
  
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 90_000 });
  const doneAt = await lab.evaluate(() => performance.now());
  await lab.waitForTimeout(1500);
  const r = await lab.evaluate(() => ({ lt: (globalThis as any).__lt, msgs: (globalThis as any).__msgs }));
  console.log('doneAt', Math.round(doneAt), JSON.stringify(r));
});
