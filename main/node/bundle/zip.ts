/**
 * A small, strict zip reader for bundles (pure; fflate only inflates).
 *
 * We parse the structure ourselves so that every check happens before any byte is inflated:
 *
 *   [local header 1][data 1] … [local header n][data n][central directory][end of central directory]
 *
 * - End of central directory (EOCD, 22 bytes + comment): found by scanning back from the end; it
 *   must end exactly at the end of the file (comment length consistent), be single-disk, and its
 *   central directory must lie exactly between the last entry and the EOCD. ZIP64 is not used by
 *   bundles and is rejected.
 * - Central directory entries (46 bytes + name + extra + comment): names, methods (0 stored,
 *   8 deflate), flags (no encryption), declared compressed/uncompressed sizes, CRC-32, the "made
 *   by" OS and external attributes (for Unix, the high 16 bits are st_mode: S_IFLNK = symlink).
 * - Local headers: signature and name must agree with the central directory; data regions must be
 *   inside the file and must not overlap (overlapping entries are a zip-bomb technique).
 *
 * Declared sizes are checked against the limits before inflating; inflation is streamed in small
 * compressed chunks with a running byte count, so an entry that lies about its size is stopped
 * after at most a few MiB beyond the limit; the result must then match the declared size and CRC.
 */
import { Inflate } from 'fflate';
import { type BundleLimits, crc32, unsafeNameReason } from './format';

export type BundleErrorCode =
  | 'io'
  | 'not-zip'
  | 'truncated'
  | 'corrupt'
  | 'unsupported'
  | 'unsafe-name'
  | 'symlink'
  | 'duplicate'
  | 'too-large'
  | 'unknown-file'
  | 'missing-file'
  | 'hash'
  | 'invalid-manifest'
  | 'format-version'
  | 'invalid-spec'
  | 'invalid-results'
  | 'internal';

/** Any problem with a bundle; the message names the file or zip entry concerned. */
export class BundleError extends Error {
  constructor(
    readonly code: BundleErrorCode,
    message: string,
    readonly entry?: string,
  ) {
    super(message);
    this.name = 'BundleError';
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Unix st_mode from the external attributes, when made on Unix (else null). */
  unixMode: number | null;
  localOffset: number;
  /** Start of the (compressed) data, after the local header. */
  dataOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** Parse and check the central directory; nothing is inflated. */
export function listZip(bytes: Uint8Array, limits: BundleLimits, what = 'bundle'): ZipEntry[] {
  const len = bytes.length;
  if (len < 22) {
    if (len >= 4 && u32(bytes, 0) === SIG_LOCAL)
      throw new BundleError('truncated', `${what}: truncated zip (${len} bytes)`);
    throw new BundleError('not-zip', `${what}: not a zip file (${len} bytes)`);
  }
  // Find the EOCD: scan back over at most a 65535-byte comment.
  let eocd = -1;
  for (let o = len - 22; o >= Math.max(0, len - 22 - 0xffff); o--) {
    if (u32(bytes, o) === SIG_EOCD && o + 22 + u16(bytes, o + 20) === len) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) {
    if (u32(bytes, 0) === SIG_LOCAL)
      throw new BundleError(
        'truncated',
        `${what}: truncated or damaged zip (no end-of-central-directory record)`,
      );
    throw new BundleError('not-zip', `${what}: not a zip file`);
  }
  if (eocd >= 20 && u32(bytes, eocd - 20) === SIG_EOCD64_LOCATOR)
    throw new BundleError('unsupported', `${what}: ZIP64 archives are not used by bundles`);
  const disk = u16(bytes, eocd + 4);
  const cdDisk = u16(bytes, eocd + 6);
  const countHere = u16(bytes, eocd + 8);
  const count = u16(bytes, eocd + 10);
  const cdSize = u32(bytes, eocd + 12);
  const cdOffset = u32(bytes, eocd + 16);
  if (disk !== 0 || cdDisk !== 0 || countHere !== count)
    throw new BundleError('unsupported', `${what}: multi-disk zip archives are not supported`);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    throw new BundleError('unsupported', `${what}: ZIP64 archives are not used by bundles`);
  if (count > limits.maxEntries)
    throw new BundleError('too-large', `${what}: ${count} entries; at most ${limits.maxEntries}`);
  if (cdOffset + cdSize !== eocd)
    throw new BundleError(
      cdOffset + cdSize > eocd ? 'truncated' : 'corrupt',
      `${what}: central directory (offset ${cdOffset}, ${cdSize} bytes) does not end at the end record (${eocd})`,
    );

  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let total = 0;
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || u32(bytes, p) !== SIG_CENTRAL)
      throw new BundleError('corrupt', `${what}: central directory entry ${i} is damaged`);
    const madeBy = u16(bytes, p + 4);
    const flags = u16(bytes, p + 8);
    const method = u16(bytes, p + 10);
    const crc = u32(bytes, p + 16);
    const compressedSize = u32(bytes, p + 20);
    const size = u32(bytes, p + 24);
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    const external = u32(bytes, p + 38);
    const localOffset = u32(bytes, p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > eocd)
      throw new BundleError('corrupt', `${what}: central directory entry ${i} runs past the directory`);
    let name: string;
    try {
      name = utf8.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    } catch {
      throw new BundleError('unsafe-name', `${what}: entry ${i} has a name that is not valid UTF-8`);
    }
    p = end;
    const shown = JSON.stringify(name);
    const unsafe = unsafeNameReason(name);
    if (unsafe)
      throw new BundleError('unsafe-name', `${what}: entry ${shown}: unsafe name (${unsafe})`, name);
    if (names.has(name))
      throw new BundleError('duplicate', `${what}: entry ${shown} appears more than once`, name);
    names.add(name);
    const unixMode = madeBy >> 8 === 3 ? external >>> 16 : null;
    if (unixMode !== null) {
      const type = unixMode & S_IFMT;
      if (type === S_IFLNK)
        throw new BundleError('symlink', `${what}: entry ${shown} is a symbolic link`, name);
      if (type === S_IFDIR)
        throw new BundleError('unknown-file', `${what}: entry ${shown} is a directory`, name);
      if (type !== 0 && type !== S_IFREG)
        throw new BundleError(
          'unsupported',
          `${what}: entry ${shown} is not a regular file (mode ${unixMode.toString(8)})`,
          name,
        );
    }
    if (external & 0x10)
      throw new BundleError('unknown-file', `${what}: entry ${shown} is a directory`, name);
    if (flags & 0x41) throw new BundleError('unsupported', `${what}: entry ${shown} is encrypted`, name);
    if (method !== 0 && method !== 8)
      throw new BundleError(
        'unsupported',
        `${what}: entry ${shown} uses compression method ${method} (only stored and deflate)`,
        name,
      );
    if (method === 0 && compressedSize !== size)
      throw new BundleError('corrupt', `${what}: entry ${shown} is stored but its sizes differ`, name);
    if (size > limits.maxFileBytes)
      throw new BundleError(
        'too-large',
        `${what}: entry ${shown} declares ${size} bytes uncompressed; at most ${limits.maxFileBytes} per file`,
        name,
      );
    total += size;
    if (total > limits.maxTotalBytes)
      throw new BundleError(
        'too-large',
        `${what}: entries declare more than ${limits.maxTotalBytes} bytes uncompressed in total (at ${shown})`,
        name,
      );
    if (localOffset + 30 > cdOffset)
      throw new BundleError(
        'corrupt',
        `${what}: entry ${shown}: local header offset ${localOffset} outside the data area`,
        name,
      );
    if (u32(bytes, localOffset) !== SIG_LOCAL)
      throw new BundleError(
        'corrupt',
        `${what}: entry ${shown}: no local header at offset ${localOffset}`,
        name,
      );
    const lNameLen = u16(bytes, localOffset + 26);
    const lExtraLen = u16(bytes, localOffset + 28);
    const dataOffset = localOffset + 30 + lNameLen + lExtraLen;
    if (dataOffset + compressedSize > cdOffset)
      throw new BundleError(
        'truncated',
        `${what}: entry ${shown}: data runs past the end of the data area`,
        name,
      );
    const lName = bytes.subarray(localOffset + 30, localOffset + 30 + lNameLen);
    const cName = bytes.subarray(end - extraLen - commentLen - nameLen, end - extraLen - commentLen);
    if (lName.length !== cName.length || lName.some((b, k) => b !== cName[k]))
      throw new BundleError(
        'corrupt',
        `${what}: entry ${shown}: local header name differs from the central directory`,
        name,
      );
    entries.push({ name, method, flags, crc, compressedSize, size, unixMode, localOffset, dataOffset });
  }
  if (p !== eocd) throw new BundleError('corrupt', `${what}: central directory has trailing bytes`);
  // No two entries may share bytes.
  const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    if (prev.dataOffset + prev.compressedSize > byOffset[i].localOffset)
      throw new BundleError(
        'corrupt',
        `${what}: entries ${JSON.stringify(prev.name)} and ${JSON.stringify(byOffset[i].name)} overlap`,
      );
  }
  return entries;
}

const CHUNK = 4096;

/** Inflate one entry, never producing more than its declared size (≤ the limits), and check its CRC. */
export function extractEntry(bytes: Uint8Array, e: ZipEntry, what = 'bundle'): Uint8Array {
  const shown = JSON.stringify(e.name);
  const data = bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) out = new Uint8Array(data);
  else {
    out = new Uint8Array(e.size);
    let n = 0;
    let ended = false;
    const inf = new Inflate((chunk, final) => {
      if (n + chunk.length > e.size)
        throw new BundleError(
          'too-large',
          `${what}: entry ${shown} inflates beyond its declared ${e.size} bytes (zip bomb?)`,
          e.name,
        );
      out.set(chunk, n);
      n += chunk.length;
      if (final) ended = true;
    });
    try {
      for (let o = 0; o < data.length; o += CHUNK)
        inf.push(data.subarray(o, o + CHUNK), o + CHUNK >= data.length);
      if (data.length === 0) inf.push(new Uint8Array(0), true);
    } catch (err) {
      if (err instanceof BundleError) throw err;
      throw new BundleError(
        'corrupt',
        `${what}: entry ${shown}: damaged compressed data (${(err as Error).message})`,
        e.name,
      );
    }
    if (!ended || n !== e.size)
      throw new BundleError(
        'corrupt',
        `${what}: entry ${shown}: inflated to ${n} bytes, declared ${e.size}`,
        e.name,
      );
  }
  if (crc32(out) !== e.crc)
    throw new BundleError('corrupt', `${what}: entry ${shown}: CRC-32 mismatch`, e.name);
  return out;
}
