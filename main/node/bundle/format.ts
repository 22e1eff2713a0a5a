/**
 * Experiment bundle format, version 2 (docs/bundles.md): one zip file (`*.pvblk.zip`) carrying an
 * experiment completely — manifest, fully resolved spec, result JSON, CSV time series, an optional
 * capped request trace, optional chart images and a README. Version 2 adds an optional real-disk
 * result of the same spec (`results-real.json` and its CSVs) beside the simulator's. Version 3 adds
 * the sweep shard (`manifest.sweep`, docs/sweeps.md): a bundle holding only some runs of its
 * spec's matrix, with their indices. Version 4 adds an optional kernel result of the same spec
 * (`results-kernel.json` and its CSVs, `pvblk kernel`) beside the simulator's comparison run.
 * Versions 1 to 3 are still read.
 *
 * This module is pure (no Node APIs) so the UI can share it: names, limits, the manifest schema,
 * the file-name rules, CRC-32 and SHA-256 (Web Crypto, present in Node ≥ 19 and browsers).
 */
import { z } from 'zod';
import pkg from '../../../package.json';

export const BUNDLE_FORMAT = 'pvblk-bundle';
/** The version written. */
export const BUNDLE_FORMAT_VERSION = 2;
/** The version of a sweep shard (`manifest.sweep`); every other bundle is written as version 2. */
export const SWEEP_SHARD_FORMAT_VERSION = 3;
/** The version of a bundle holding a kernel result (`results-kernel.json`); older apps refuse it by version. */
export const KERNEL_FORMAT_VERSION = 4;
/**
 * The versions read (a version 1 bundle is a version 2 bundle without the real-disk files; a
 * version 2 bundle is a version 3 bundle without `manifest.sweep`; a version 3 bundle is a
 * version 4 bundle without the kernel files).
 */
export const READABLE_FORMAT_VERSIONS = [1, 2, 3, 4] as const;
/** The newest version read: names any readable version knows. */
export const LATEST_FORMAT_VERSION = KERNEL_FORMAT_VERSION;
export type BundleFormatVersion = (typeof READABLE_FORMAT_VERSIONS)[number];
export const BUNDLE_EXTENSION = '.pvblk.zip';
/** The app version written into manifests (package.json). */
export const APP_VERSION: string = (pkg as { version: string }).version;

export interface BundleLimits {
  /** Most entries in the zip's central directory. */
  maxEntries: number;
  /** Most bytes all entries may expand to together (declared and actual). */
  maxTotalBytes: number;
  /** Most bytes one entry may expand to (declared and actual). */
  maxFileBytes: number;
}

export const DEFAULT_LIMITS: Readonly<BundleLimits> = Object.freeze({
  maxEntries: 10_000,
  maxTotalBytes: 512 * 1024 * 1024,
  maxFileBytes: 256 * 1024 * 1024,
});

/**
 * Most runs a bundle may hold (a merged sweep; `timeseries/run-<i>` allows six digits). Reading
 * a spec whose matrix exceeds the interactive cap is allowed up to the runs the bundle holds.
 */
export const MAX_BUNDLE_RUNS = 1_000_000;

/** Rows written to trace.csv at most, over all runs. */
export const TRACE_MAX_ROWS = 100_000;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Version 3: this bundle is shard `shard` of `shards` of a sweep (`pvblk sweep --shard`): results.json
 * holds only the runs `indices` (ascending matrix indices, from 0) of the spec's `runs_total`.
 * `spec_sha256` is the sha256 of spec.json (also in `files`), the key `pvblk merge` matches shards by.
 */
export const SweepShardSchema = z.strictObject({
  shard: z.number().int().min(1),
  shards: z.number().int().min(1),
  runs_total: z.number().int().min(1),
  indices: z.array(z.number().int().min(0)),
  spec_sha256: z.string().regex(SHA256_HEX, 'expected a lowercase hex sha256'),
});
export type SweepShard = z.infer<typeof SweepShardSchema>;

export const ManifestSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  format_version: z.literal(READABLE_FORMAT_VERSIONS),
  app_version: z.string().min(1).max(100),
  engine_version: z.string().min(1).max(100),
  created: z.iso.datetime({ offset: true }),
  platform: z.string().max(200),
  /** sha256 (lowercase hex) of every other file in the bundle, by zip entry name. */
  files: z.record(
    z.string().min(1).max(255),
    z.string().regex(SHA256_HEX, 'expected a lowercase hex sha256'),
  ),
  /** Present when trace.csv was written: rows, and whether the cap or the run's own cap cut it. */
  trace: z.strictObject({ rows: z.number().int().min(0), truncated: z.boolean() }).optional(),
  /** Version 3: present in a sweep shard only. */
  sweep: SweepShardSchema.optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const MANIFEST = 'manifest.json';
export const SPEC = 'spec.json';
export const RESULTS = 'results.json';
/** Version 2: a real-disk result (`backend: "real"`) of the same spec, beside the simulator's results.json. */
export const RESULTS_REAL = 'results-real.json';
/**
 * Version 4: a kernel result (`backend: "kernel"`, `pvblk kernel` or the UI's kernel backend) of the
 * same spec; results.json is then the comparison simulation (the spec with each run's measured guest
 * overhead, main/node/kernel/sim-spec.ts).
 */
export const RESULTS_KERNEL = 'results-kernel.json';
export const README = 'README.md';
export const TRACE = 'trace.csv';

/** Files every bundle has besides the manifest. */
export const REQUIRED_FILES = [SPEC, RESULTS, README] as const;

/** timeseries/run-<i>-<vms|threads|total>.csv (i from 0, no leading zeros). */
export const TIMESERIES_RE = /^timeseries\/run-(0|[1-9]\d{0,5})-(vms|threads|total)\.csv$/;
/** Version 2: timeseries/real-run-<i>-<vms|threads|total>.csv, the time series of results-real.json. */
export const REAL_TIMESERIES_RE = /^timeseries\/real-run-(0|[1-9]\d{0,5})-(vms|threads|total)\.csv$/;
/** Version 4: timeseries/kernel-run-<i>-<vms|threads|total>.csv, the time series of results-kernel.json. */
export const KERNEL_TIMESERIES_RE = /^timeseries\/kernel-run-(0|[1-9]\d{0,5})-(vms|threads|total)\.csv$/;
export const CHART_RE = /^charts\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.png$/;
/** Version 2: a trace file a trace workload replays, by its SHA-256 (docs/traces.md "Bundles"). */
export const TRACE_FILE_RE = /^traces\/[0-9a-f]{64}\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Prefix of a time series file: the simulator's results (`''`), the real ones (`'real-'`) or the kernel's (`'kernel-'`). */
export type TimeseriesPrefix = '' | 'real-' | 'kernel-';

/** The CSV time series file of run `index` of the results under `prefix`. */
export function timeseriesFile(
  prefix: TimeseriesPrefix,
  index: number,
  kind: 'vms' | 'threads' | 'total',
): string {
  return `timeseries/${prefix}run-${index}-${kind}.csv`;
}

/** Is `name` one of the files format `version` knows (other than the manifest)? */
export function isKnownFile(name: string, version: BundleFormatVersion = BUNDLE_FORMAT_VERSION): boolean {
  return (
    (REQUIRED_FILES as readonly string[]).includes(name) ||
    name === TRACE ||
    TIMESERIES_RE.test(name) ||
    CHART_RE.test(name) ||
    (version >= 2 && (name === RESULTS_REAL || REAL_TIMESERIES_RE.test(name) || TRACE_FILE_RE.test(name))) ||
    (version >= KERNEL_FORMAT_VERSION && (name === RESULTS_KERNEL || KERNEL_TIMESERIES_RE.test(name)))
  );
}

/**
 * Why a zip entry name is unsafe, or null when it is a plain relative path: no absolute paths,
 * drive letters, backslashes, `.`/`..` or empty segments, control characters or over-long names.
 */
export function unsafeNameReason(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name.length > 255) return 'name longer than 255 characters';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'control character in name';
  if (name.includes('\\')) return 'backslash in name';
  if (/^[A-Za-z]:/.test(name)) return 'drive letter in name';
  if (name.startsWith('/')) return 'absolute path';
  const parts = name.split('/');
  if (parts.includes('..')) return '".." path segment';
  if (parts.includes('.')) return '"." path segment';
  if (parts.some((p) => p === '')) return 'empty path segment';
  return null;
}

// ---------------------------------------------------------------- hashing

let crcTable: Uint32Array | null = null;

/** CRC-32 (zip's, polynomial 0xEDB88320). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** SHA-256 as lowercase hex. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
