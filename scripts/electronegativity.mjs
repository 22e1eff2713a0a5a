#!/usr/bin/env node
/**
 * Electronegativity (Doyensec's Electron security scanner) over the desktop shell: main/electron
 * and preload. Fails on any HIGH or MEDIUM finding; a finding that is reviewed and accepted is
 * marked where it occurs with `// eng-disable CHECK_ID` and an explanation in the code comment
 * above it. Offline: the Electron version comes from package.json (`-e`), so the scanner does not
 * fetch the release list.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const electron = String(pkg.devDependencies.electron).replace(/^[^\d]*/, '');
const require = createRequire(import.meta.url);
const engDir = dirname(require.resolve('@doyensec/electronegativity/package.json'));
const bin = join(engDir, 'dist', 'index.js');
// Electronegativity 1.10 requires `commander` without declaring it, and is written for commander 5
// (which npm installs for its own dependency @electron/asar); the project's top-level commander is
// another major. Point its `require('commander')` at that commander 5.
const commander5 = createRequire(require.resolve('@electron/asar/package.json', { paths: [engDir] })).resolve(
  'commander',
);
const hook = `const M = require('module');
const orig = M._resolveFilename;
M._resolveFilename = function (request, parent, ...rest) {
  if (request === 'commander' && parent && parent.filename && parent.filename.startsWith(${JSON.stringify(engDir)}))
    return ${JSON.stringify(commander5)};
  return orig.call(this, request, parent, ...rest);
};
`;

const work = mkdtempSync(join(tmpdir(), 'pvblk-eng-'));
try {
  const scan = join(work, 'scan');
  cpSync(join(root, 'main', 'electron'), join(scan, 'main', 'electron'), { recursive: true });
  cpSync(join(root, 'preload'), join(scan, 'preload'), { recursive: true });
  writeFileSync(
    join(scan, 'package.json'),
    JSON.stringify({ name: pkg.name, devDependencies: { electron } }),
  );
  const csv = join(work, 'findings.csv');
  writeFileSync(join(work, 'hook.cjs'), hook);
  const r = spawnSync(
    process.execPath,
    ['--require', join(work, 'hook.cjs'), bin, '-i', scan, '-r', '-v', 'false', '-e', electron, '-o', csv],
    {
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  let text;
  try {
    text = readFileSync(csv, 'utf8');
  } catch {
    process.stderr.write(`electronegativity did not run (status ${r.status}):\n${r.stderr || r.stdout}\n`);
    process.exit(1);
  }
  const rows = text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .filter((f) => f.length > 4);
  const blocking = rows.filter((f) => /HIGH|MEDIUM/.test(f[1]));
  for (const f of rows)
    process.stdout.write(
      `${/HIGH|MEDIUM/.test(f[1]) ? 'FAIL' : 'note'} ${f[0]} ${f[1].replaceAll('"', '')} ${f[3].replaceAll('"', '')}:${f[4].replaceAll('"', '')}\n`,
    );
  if (blocking.length) {
    process.stderr.write(
      `electronegativity: ${blocking.length} high/medium finding(s); fix them, or review and mark the line with // eng-disable CHECK_ID and say why\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`electronegativity: no high or medium findings (${rows.length} low/informational)\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
