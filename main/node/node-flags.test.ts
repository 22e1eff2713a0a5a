import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module of the scripts (no types): the list the bench and npm start use
import { engineNodeFlags as scriptFlags } from '../../scripts/engine-flags.mjs';
import { ENGINE_NODE_FLAGS, engineNodeFlags } from './node-flags';

const root = join(__dirname, '..', '..');

describe('engine node flags', () => {
  it('this node accepts them (an unknown V8 flag on the command line stops node)', () => {
    expect(engineNodeFlags()).toEqual(ENGINE_NODE_FLAGS);
    const r = execFileSync(process.execPath, [...engineNodeFlags(), '-e', 'process.stdout.write("ok")'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(r).toBe('ok');
  });

  it('none for a V8 older than they are (Node 20: 11.3), all from V8 12 (Node 22) on', () => {
    expect(engineNodeFlags('11.3.244.8-node.38')).toEqual([]);
    expect(engineNodeFlags('12.4.254.21-node.57')).toEqual(ENGINE_NODE_FLAGS);
    expect(engineNodeFlags('13.6.233.17-node.31')).toEqual(ENGINE_NODE_FLAGS);
  });

  it('the scripts (npm start, bench) read the same list and rule', () => {
    for (const v of ['11.3.244.8', '12.4.254.21', process.versions.v8])
      expect(scriptFlags(v)).toEqual([...engineNodeFlags(v)]);
  });

  it('pvblk starts with any node: no V8 flag in its first line', () => {
    const first = readFileSync(join(root, 'bin', 'pvblk.mjs'), 'utf8').split('\n')[0];
    expect(first).toBe('#!/usr/bin/env node');
  });
});
