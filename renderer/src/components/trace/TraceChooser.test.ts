// @vitest-environment happy-dom
import type { PvblkApi, TracePreview, TracePreviewReply } from '@common/api';
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { API_KEY } from '../../lib/api-key';
import TraceChooser from './TraceChooser.vue';

const preview = (file: string, records: number): TracePreview => ({
  file,
  format: 'blkparse',
  records,
  lines: records,
  duration_s: 1,
  reads: records,
  writes: 0,
  bytes: records * 4096,
  size_hist: [{ le_kb: 4, count: records }],
  lba_min: 0,
  lba_max: 8 * records,
  pids: [],
  pids_truncated: false,
  measured_mean_ms: null,
  sha256: '0'.repeat(64),
});

describe('TraceChooser', () => {
  it('shows the answer for the file chosen last, even when an older preview answers after it', async () => {
    // The Node side answers in any order (a large file scans longer): the first request is still
    // pending when the second is made and answers last.
    const pending: { file: string; resolve: (r: TracePreviewReply) => void }[] = [];
    const api = {
      previewTrace: (req: { file: string }) =>
        new Promise<TracePreviewReply>((resolve) => pending.push({ file: req.file, resolve })),
    } as unknown as PvblkApi;
    const props = (file: string) => ({
      trace: { format: 'blkparse', file },
      testid: 't',
      errFor: () => undefined,
    });
    const w = mount(TraceChooser, { props: props('/old.blkparse'), global: { provide: { [API_KEY]: api } } });
    await w.setProps(props('/new.blkparse'));
    expect(pending.map((p) => p.file)).toEqual(['/old.blkparse', '/new.blkparse']);
    pending[1].resolve({ ok: true, preview: preview('/new.blkparse', 300) });
    await flushPromises();
    pending[0].resolve({ ok: false, error: '/old.blkparse: not a blkparse line' });
    await flushPromises();
    expect(w.find('[data-testid="t-error"]').exists()).toBe(false);
    expect(w.find('[data-testid="trace-preview-records"]').text()).toBe('300');
  });
});
