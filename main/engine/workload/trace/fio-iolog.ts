/**
 * fio's iolog (fio's HOWTO "Trace file format v2" and "v3"; iolog.c). The first line names the
 * version: "fio version 2 iolog" or "fio version 3 iolog".
 *
 *   v2:            filename action [offset length]      (wait: offset = µs since the previous wait)
 *   v3: timestamp  filename action [offset length]      (timestamp: µs since the start of the run,
 *                                                        as fio 3.33 writes it)
 *
 * Actions read / write become requests (bytes → 512-byte sectors); add, open, close, sync,
 * datasync and trim carry none (trim is not modelled). Every file of the log maps onto the same
 * address space. v2's waits below 100 µs are discarded, as fio does.
 */
import { bytesToSectors, show, uint, words } from './fields';
import { type TraceLineParser, TraceParseError, type TraceRecord } from './record';

const FILE_ACTIONS = new Set(['add', 'open', 'close', 'unlink']);
const NO_DATA = new Set(['sync', 'datasync', 'trim']);

export function fioIologParser(): TraceLineParser {
  let version = 0;
  let clockNs = 0;
  let waitNs = 0;
  return {
    parse(line: string, n: number): TraceRecord | null {
      if (version === 0) {
        const m = /^fio version ([23]) iolog\s*$/.exec(line);
        if (!m)
          throw new TraceParseError(
            n,
            'header',
            `expected "fio version 2 iolog" or "fio version 3 iolog", got ${show(line)}`,
          );
        version = Number(m[1]);
        return null;
      }
      const w = words(line);
      if (w.length === 0) return null;
      let i = 0;
      if (version === 3) clockNs = uint(w[i++], n, 'timestamp') * 1000;
      if (w[i] === undefined) throw new TraceParseError(n, 'filename', 'missing');
      i++;
      const action = w[i++];
      if (action === undefined) throw new TraceParseError(n, 'action', 'missing');
      if (FILE_ACTIONS.has(action) || NO_DATA.has(action)) return null;
      if (action === 'wait' && version === 2) {
        const us = uint(w[i], n, 'offset');
        if (us >= 100) {
          clockNs += us * 1000;
          waitNs += us * 1000;
        }
        return null;
      }
      if (action !== 'read' && action !== 'write')
        throw new TraceParseError(
          n,
          'action',
          `expected read, write, trim, sync, datasync${version === 2 ? ', wait' : ''}, add, open or close, got ${show(action)}`,
        );
      const offset = uint(w[i++], n, 'offset');
      const length = uint(w[i++], n, 'length');
      if (length === 0) return null;
      const { sector, sectors } = bytesToSectors(offset, length);
      const thinkNs = waitNs;
      waitNs = 0;
      return { timeNs: clockNs, op: action, sector, sectors, pid: -1, thinkNs, measuredNs: -1 };
    },
  };
}
