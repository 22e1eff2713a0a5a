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
});
