// Part of `npm run bench`: the UI frame-rate probe. Runs e2e/fps.bench.ts with
// playwright.bench.config.ts (no tracing: it would slow the page measured) — a max-speed run of
// paper-fairness in browser mode, requestAnimationFrame counted in Debian's Chromium — and prints
// what it measured from test-results/fps.json. Target: >= 50 fps. Skipped without Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
console.log('\nUI frame rate during a max-speed paper-fairness run (browser mode, Chromium):');
if (!existsSync('/usr/bin/chromium')) {
  console.log('  skipped: /usr/bin/chromium not installed (apt-get install chromium)');
} else {
  const r = spawnSync(
    'npx',
    ['playwright', 'test', '-c', 'playwright.bench.config.ts', '--project', 'browser', '--reporter', 'line'],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  const file = join(root, 'test-results', 'fps.json');
  if (r.status !== 0 || !existsSync(file)) {
    console.log(`  probe failed (exit ${r.status}):\n${(r.stdout ?? '').split('\n').slice(-15).join('\n')}`);
  } else {
    const m = JSON.parse(readFileSync(file, 'utf8'));
    const fmt = (x) => (typeof x === 'number' ? x.toFixed(1) : String(x));
    console.log(
      `  ${fmt(m.fps)} fps over ${fmt(m.seconds)} s (${m.frames} frames), worst frame ${fmt(m.worstFrameMs ?? m.worst)} ms; target >= 50 fps`,
    );
  }
}
