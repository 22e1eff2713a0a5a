/**
 * Test helpers: a tiny zip writer that can produce what fflate will not (duplicate names, unsafe
 * names, symlink attributes, lying sizes), and a way to rebuild a bundle with edited files and a
 * rehashed manifest.
 */
import { deflateSync } from 'fflate';
import { crc32, MANIFEST, type Manifest, sha256Hex } from './format';

export interface RawEntry {
  name: string;
  data: Uint8Array;
  /** 0 stored, 8 deflate (default). */
  method?: 0 | 8;
  /** Unix st_mode (default 0o100644 regular file). */
  mode?: number;
  /** Lie about the uncompressed size in the headers. */
  declaredSize?: number;
}

const enc = new TextEncoder();

export function makeZip(entries: RawEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const method = e.method ?? 8;
    const comp = method === 8 ? deflateSync(e.data) : e.data;
    const size = e.declaredSize ?? e.data.length;
    const crc = crc32(e.data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0x800, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, comp.length, true);
    lv.setUint32(22, size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, (3 << 8) | 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x800, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, comp.length, true);
    cv.setUint32(24, size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(38, ((e.mode ?? 0o100644) << 16) >>> 0, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, comp);
    central.push(cd);
    offset += local.length + comp.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of all) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Rebuild a bundle from its files (as readBundle's `files`), after `edit` changed them; the
 * manifest is rehashed (unless `rehash` is false) and `editManifest` may change it further.
 */
export async function rebuild(
  files: Map<string, Uint8Array>,
  opts: {
    edit?: (files: Map<string, Uint8Array>) => void;
    editManifest?: (m: Manifest & Record<string, unknown>) => void;
    rehash?: boolean;
    extra?: RawEntry[];
  } = {},
): Promise<Uint8Array> {
  const copy = new Map(files);
  opts.edit?.(copy);
  const manifest = JSON.parse(new TextDecoder().decode(copy.get(MANIFEST)!)) as Manifest &
    Record<string, unknown>;
  if (opts.rehash ?? true) {
    manifest.files = {};
    for (const [name, data] of copy) if (name !== MANIFEST) manifest.files[name] = await sha256Hex(data);
  }
  opts.editManifest?.(manifest);
  copy.set(MANIFEST, enc.encode(JSON.stringify(manifest)));
  return makeZip([...[...copy].map(([name, data]) => ({ name, data })), ...(opts.extra ?? [])]);
}
