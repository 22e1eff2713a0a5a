/** The API boundary (shared by Electron IPC and browser mode): disk characterization inputs. */
import { describe, expect, it } from 'vitest';
import { ApiError, createApiHandler } from './api-handler';
import { SessionManager } from './manager';

const call = createApiHandler(new SessionManager());

describe('characterizeDisk', () => {
  it('takes an experiment spec with or without a disk block (the default disk), or a disk spec', async () => {
    const withDisk = (await call('characterizeDisk', [{ name: 'x', disk: { preset: 'hp97560' } }])) as {
      rpm: number;
    };
    expect(withDisk.rpm).toBe(4002);
    const noDisk = (await call('characterizeDisk', [{ name: 'x', vms: [] }])) as { rpm: number };
    expect(noDisk.rpm).toBe(7200);
    const preset = (await call('characterizeDisk', [{ preset: 'sata-7200' }])) as { rpm: number };
    expect(preset.rpm).toBe(7200);
  });

  it('refuses a bad disk with a message naming the field', async () => {
    await expect(call('characterizeDisk', [{ name: 'x', disk: { preset: 'nope' } }])).rejects.toBeInstanceOf(
      ApiError,
    );
    await expect(call('characterizeDisk', [{ preset: 'nope' }])).rejects.toThrow(/disk\./);
  });

  it('a wrong type inside a custom disk names the field in the words of spec validation, never zod’s "Invalid input"', async () => {
    const hdd = {
      kind: 'hdd',
      rpm: 'fast',
      heads: 2,
      zones: [{ cylinders: 100, sectors_per_track: 100 }],
      seek: { model: 'three-point', track_to_track_ms: 1, average_ms: 5, full_stroke_ms: 10 },
      head_switch_ms: 1,
    };
    const rpm = 'invalid disk: disk.rpm: must be a number (revolutions per minute), got "fast"';
    await expect(call('characterizeDisk', [{ name: 'x', disk: hdd }])).rejects.toThrow(rpm);
    await expect(call('characterizeDisk', [hdd])).rejects.toThrow(rpm);
    const bus = { ...hdd, rpm: 7200, bus: { read_block_ms: 0.1, write_block_ms: 0.1, hold_read: 1 } };
    await expect(call('characterizeDisk', [{ name: 'x', disk: bus }])).rejects.toThrow(
      'invalid disk: disk.bus.hold_read: must be true or false, got 1',
    );
    await expect(call('characterizeDisk', [{ name: 'x', disk: bus }])).rejects.not.toThrow(/Invalid input/);
  });
});
