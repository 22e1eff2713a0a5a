// `npm run bench`: the engine benchmark (built by `npm run build` into out/main/bench.js).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bench = join(root, 'out', 'main', 'bench.js');
if (!existsSync(bench)) {
  console.error('bench: out/main/bench.js missing; run `npm run build` first');
  process.exit(1);
}
await import(pathToFileURL(bench).href);
for (const extra of ['ui-bench.mjs', 'real-bench.mjs']) {
  const f = join(root, 'scripts', extra);
  if (existsSync(f)) await import(pathToFileURL(f).href);
}
