/**
 * Frame-rate probe for `npm run bench` (scripts/ui-bench.mjs, playwright.bench.config.ts: tracing
 * off): counts requestAnimationFrame callbacks while paper-fairness (the matrix) runs at max speed,
 * and writes { fps, frames, seconds, worstFrameMs } to test-results/fps.json. Target ≥ 50 fps. Not
 * part of `npm test`: a frame rate depends on the machine's load, so it is reported, not asserted
 * (e2e/responsive.spec.ts checks that the UI keeps answering).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, pickPreset, test } from './fixtures';

test('UI frame rate during a max-speed run', async ({ lab }) => {
  await pickPreset(lab, 'paper-fairness');
  await lab.getByTestId('pacing-select').selectOption('max');
  await lab.evaluate(() => {
    // Typed structurally: the node tsconfig has no DOM lib.
    const w = globalThis as unknown as {
      __fps: { frames: number; start: number; worst: number; last: number; on: boolean };
      requestAnimationFrame(cb: (t: number) => void): number;
    };
    const requestAnimationFrame = (cb: (t: number) => void) => w.requestAnimationFrame(cb);
    w.__fps = { frames: 0, start: performance.now(), worst: 0, last: performance.now(), on: true };
    const tick = (t: number) => {
      const f = w.__fps;
      if (!f.on) return;
      f.frames++;
      f.worst = Math.max(f.worst, t - f.last);
      f.last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await lab.getByTestId('run').click();
  await expect(lab.getByTestId('status')).toHaveText('done', { timeout: 60_000 });
  const r = await lab.evaluate(() => {
    const f = (
      globalThis as unknown as { __fps: { frames: number; start: number; worst: number; on: boolean } }
    ).__fps;
    f.on = false;
    const seconds = (performance.now() - f.start) / 1000;
    return { frames: f.frames, seconds, fps: f.frames / seconds, worstFrameMs: f.worst };
  });
  const out = join(process.cwd(), 'test-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'fps.json'),
    `${JSON.stringify({ preset: 'paper-fairness', pacing: 'max', ...r }, null, 2)}\n`,
  );
  console.log(
    `[fps] ${r.fps.toFixed(1)} fps over ${r.seconds.toFixed(1)} s (worst frame ${r.worstFrameMs.toFixed(0)} ms)`,
  );
});
