import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINE_NODE_FLAGS, PVBLK_SHEBANG } from './node-flags';

const root = join(__dirname, '..', '..');

describe('engine node flags', () => {
  it('bin/pvblk.mjs starts node with them (its first line), and scripts read them from there', () => {
    const first = readFileSync(join(root, 'bin', 'pvblk.mjs'), 'utf8').split('\n')[0];
    expect(first).toBe(PVBLK_SHEBANG);
    // what scripts/start.mjs and scripts/bench.mjs take from that line
    expect(first.split(/\s+/).filter((a) => a.startsWith('--'))).toEqual([...ENGINE_NODE_FLAGS]);
  });

  it('this node accepts them (an unknown V8 flag would be ignored with a warning or refused)', () => {
    const r = execFileSync(process.execPath, [...ENGINE_NODE_FLAGS, '-e', 'process.stdout.write("ok")'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(r).toBe('ok');
  });
});
