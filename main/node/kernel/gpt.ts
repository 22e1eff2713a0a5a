/**
 * A GUID partition table (UEFI 2.x, chapter 5): protective MBR at LBA 0, header at LBA 1, 128
 * entries of 128 bytes from LBA 2, and the backup entries and header at the end of the disk. The
 * NBD disk carries one so that the threads one guest process serves each get a partition of the
 * one disk (partitions share the disk's one scheduler queue); Linux reads it with
 * block/partitions/efi.c.
 */

const SECTOR = 512;
const ENTRIES = 128;
const ENTRY_BYTES = 128;
const ENTRY_SECTORS = (ENTRIES * ENTRY_BYTES) / SECTOR; // 32
/** Linux filesystem data. */
const LINUX_DATA = '0fc63daf-8483-4772-8e79-3d69d8477de4';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A GUID string in the on-disk mixed-endian layout. */
function guidBytes(g: string): Buffer {
  const h = g.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  const out = Buffer.alloc(16);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  b.copy(out, 8, 8, 16);
  return out;
}

/** A deterministic GUID from a number (the lab's disks need no global uniqueness). */
const labGuid = (n: number): string => {
  const h = (n >>> 0).toString(16).padStart(8, '0');
  return `${h}-5076-4b4c-8000-${(n + 0x100000000).toString(16).slice(-12).padStart(12, '0')}`;
};

export interface GptPartition {
  /** First LBA and number of 512-byte sectors. */
  start: number;
  sectors: number;
  name: string;
}

/** First LBA a partition may use (after the entries). */
export const GPT_FIRST_USABLE = 2 + ENTRY_SECTORS;
/** Sectors the backup needs at the end of the disk. */
export const GPT_BACKUP_SECTORS = 1 + ENTRY_SECTORS;

/** The table: `head` for LBA 0..33 and `tail` for the last 33 LBAs of a disk of `totalSectors`. */
export function buildGpt(totalSectors: number, parts: GptPartition[]): { head: Buffer; tail: Buffer } {
  if (parts.length > ENTRIES) throw new Error(`GPT: ${parts.length} partitions, at most ${ENTRIES}`);
  const last = totalSectors - 1;
  const lastUsable = totalSectors - 1 - GPT_BACKUP_SECTORS;
  const entries = Buffer.alloc(ENTRIES * ENTRY_BYTES);
  parts.forEach((p, i) => {
    if (p.start < GPT_FIRST_USABLE || p.start + p.sectors - 1 > lastUsable || p.sectors < 1)
      throw new Error(`GPT: partition ${i + 1} (${p.start}+${p.sectors}) outside the usable area`);
    const e = entries.subarray(i * ENTRY_BYTES, (i + 1) * ENTRY_BYTES);
    guidBytes(LINUX_DATA).copy(e, 0);
    guidBytes(labGuid(i + 1)).copy(e, 16);
    e.writeBigUInt64LE(BigInt(p.start), 32);
    e.writeBigUInt64LE(BigInt(p.start + p.sectors - 1), 40);
    e.write(p.name.slice(0, 36), 56, 'utf16le');
  });
  const entriesCrc = crc32(entries);
  const header = (self: number, other: number, entriesLba: number): Buffer => {
    const h = Buffer.alloc(SECTOR);
    h.write('EFI PART', 0, 'ascii');
    h.writeUInt32LE(0x00010000, 8);
    h.writeUInt32LE(92, 12);
    h.writeBigUInt64LE(BigInt(self), 24);
    h.writeBigUInt64LE(BigInt(other), 32);
    h.writeBigUInt64LE(BigInt(GPT_FIRST_USABLE), 40);
    h.writeBigUInt64LE(BigInt(lastUsable), 48);
    guidBytes(labGuid(0x7076626c)).copy(h, 56);
    h.writeBigUInt64LE(BigInt(entriesLba), 72);
    h.writeUInt32LE(ENTRIES, 80);
    h.writeUInt32LE(ENTRY_BYTES, 84);
    h.writeUInt32LE(entriesCrc, 88);
    h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    return h;
  };
  const mbr = Buffer.alloc(SECTOR);
  // protective MBR: one partition of type 0xEE covering the disk from LBA 1
  mbr[446 + 4] = 0xee;
  mbr.writeUInt32LE(1, 446 + 8);
  mbr.writeUInt32LE(Math.min(totalSectors - 1, 0xffffffff), 446 + 12);
  mbr[446 + 1] = 0;
  mbr[446 + 2] = 2;
  mbr[446 + 5] = 0xff;
  mbr[446 + 6] = 0xff;
  mbr[446 + 7] = 0xff;
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const head = Buffer.concat([mbr, header(1, last, 2), entries]);
  const tail = Buffer.concat([entries, header(last, 1, last - ENTRY_SECTORS)]);
  return { head, tail };
}
