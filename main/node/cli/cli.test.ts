import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'pvblk.mjs');
const pvblk = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const dir = mkdtempSync(join(tmpdir(), 'pvblk-cli-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('pvblk CLI', () => {
  it('--help and --version exit 0', () => {
    expect(pvblk('--help').status).toBe(0);
    expect(pvblk('--help').stdout).toContain('pvblk run');
    expect(pvblk('--version').stdout).toMatch(/^pvblk \d+\.\d+\.\d+/);
  });

  it('unknown commands and bad arguments exit 2 with a message on stderr', () => {
    const a = pvblk('frobnicate');
    expect(a.status).toBe(2);
    expect(a.stderr).toContain('unknown command');
    const b = pvblk('run', '--preset', 'nope');
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('--preset');
    expect(pvblk('run', '--preset', 'paper-throughput', '--bogus').status).toBe(2);
    expect(pvblk('run', '--preset', 'paper-throughput', '--duration', 'abc').status).toBe(2);
  });

  it('an invalid spec exits 2 and names the field path', () => {
    const bad = file(
      'bad.json',
      JSON.stringify({
        name: 'x',
        duration_s: 1,
        host: { scheduler: 'cfq', params: { slice_idle_ms: -1, bogus: 1 } },
        vms: [
          {
            name: 'a',
            image: { offset_gb: 0, size_gb: 1 },
            threads: [{ name: 't', block_kb: 'big', size_gb: 2 }],
          },
        ],
      }),
    );
    const r = pvblk('run', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('vms.0.threads.0.block_kb');
    const r2 = pvblk(
      'run',
      file(
        'bad2.json',
        JSON.stringify({
          name: 'x',
          duration_s: 1,
          host: { scheduler: 'cfq', params: { slice_idle_ms: -1, bogus: 1 } },
        }),
      ),
    );
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('host.params.slice_idle_ms');
    expect(r2.stderr).toContain('host.params.bogus');
    const r3 = pvblk(
      'run',
      file(
        'bad3.json',
        JSON.stringify({
          name: 'x',
          duration_s: 1,
          host: { scheduler: 'deadline' },
          vms: [
            {
              name: 'a',
              mapping: 'vpid-group',
              image: { offset_gb: 0, size_gb: 1 },
              threads: [{ name: 't', size_gb: 2 }],
            },
          ],
        }),
      ),
    );
    expect(r3.status).toBe(2);
    expect(r3.stderr).toContain('vms.0.mapping');
    expect(r3.stderr).toContain('vms.0.threads.0.size_gb');
    expect(pvblk('run', file('notjson.json', '{nope')).stderr).toContain('not valid JSON');
    expect(pvblk('run', join(dir, 'missing.json')).status).toBe(2);
  });

  it('presets and preset print the built-in experiments', () => {
    const list = JSON.parse(pvblk('presets', '--json').stdout);
    expect(list.experiments.map((p: { name: string }) => p.name)).toContain('paper-fairness');
    const spec = JSON.parse(pvblk('preset', 'paper-throughput').stdout);
    expect(spec.name).toBe('paper-throughput');
    expect(pvblk('preset', 'nope').status).toBe(2);
  });

  it('every built-in preset runs (short) and prints JSON of the documented shape', () => {
    const names: string[] = JSON.parse(pvblk('presets', '--json').stdout).experiments.map(
      (p: { name: string }) => p.name,
    );
    for (const n of names) {
      const r = pvblk('run', '--preset', n, '--duration', '2', '--json');
      expect(r.status, `${n}: ${r.stderr}`).toBe(0);
      const res = JSON.parse(r.stdout);
      for (const run of res.runs) {
        expect(run.summary.total).toHaveProperty('mbps');
        expect(run.summary.disk).toHaveProperty('utilization');
        expect(run.summary.fairness).toHaveProperty('jain_vms');
      }
    }
  });

  it('matrix results do not depend on the number of worker threads', () => {
    const one = pvblk('run', '--preset', 'paper-fairness', '--duration', '3', '--json', '--jobs', '1');
    const two = pvblk('run', '--preset', 'paper-fairness', '--duration', '3', '--json', '--jobs', '2');
    expect(one.status).toBe(0);
    expect(two.stdout).toBe(one.stdout);
  });

  it('disk --json characterizes a preset', () => {
    const c = JSON.parse(pvblk('disk', '--preset', 'hp97560', '--json').stdout);
    expect(c.rpm).toBe(4002);
    expect(c.seek_curve.length).toBeGreaterThan(10);
    expect(pvblk('disk', '--preset', 'nope').status).toBe(2);
  });

  it('the human output of a matrix run is a comparison table', () => {
    const r = pvblk('run', '--preset', 'paper-fairness', '--duration', '2');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('total MB/s');
    expect(r.stdout).toContain('vms.*.mapping=vpid-group');
  });
});
