/**
 * Trace files read lazily: fixed-size synchronous chunks split into lines, so a trace of any
 * length replays in bounded memory (one chunk plus the current line). Parse errors name the file,
 * the line and the field.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { TraceFormat } from '../../common/spec/schema';
import {
  createTraceParser,
  TraceParseError,
  type TraceRecord,
  type TraceSource,
} from '../../engine/workload/trace/index';

export const CHUNK_BYTES = 1 << 20;

/** A trace file that cannot be read or has a bad line (the CLI exits 2 on it). */
export class TraceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFileError';
  }
}

/** Lines of a file, read in chunks; `onChunk` sees the raw bytes (hashing). Closes the file at the end. */
export class LineReader {
  private fd: number | null;
  private readonly buf: Buffer;
  private readonly decoder = new StringDecoder('utf8');
  private lines: string[] = [];
  private at = 0;
  private rest = '';
  lineNo = 0;

  constructor(
    readonly file: string,
    private readonly onChunk?: (bytes: Buffer) => void,
    chunkBytes = CHUNK_BYTES,
  ) {
    try {
      this.fd = openSync(file, 'r');
    } catch (e) {
      throw new TraceFileError(
        `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** The next line without its line ending, or null at the end of the file. */
  next(): string | null {
    while (this.at >= this.lines.length) {
      if (this.fd === null) return null;
      const n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      let text: string;
      if (n === 0) {
        closeSync(this.fd);
        this.fd = null;
        text = this.rest + this.decoder.end();
        this.rest = '';
        this.lines = text === '' ? [] : [text];
      } else {
        this.onChunk?.(this.buf.subarray(0, n));
        text = this.rest + this.decoder.write(this.buf.subarray(0, n));
        const parts = text.split('\n');
        this.rest = parts.pop()!;
        this.lines = parts;
      }
      this.at = 0;
    }
    this.lineNo++;
    const line = this.lines[this.at++];
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.lines = [];
  }
}

export interface TraceFileOptions {
  format: TraceFormat;
  events?: 'Q' | 'D';
  /** Only this process's records (split_by pid), or null for all. */
  pid?: number | null;
}

/** A pull-based source of a trace file's records for the engine. */
export function openTraceFile(
  file: string,
  opts: TraceFileOptions,
  onChunk?: (b: Buffer) => void,
): TraceSource {
  const reader = new LineReader(file, onChunk);
  const parser = createTraceParser(opts.format, opts.events ?? 'Q');
  const pid = opts.pid ?? null;
  return {
    next(): TraceRecord | null {
      for (;;) {
        const line = reader.next();
        if (line === null) return null;
        let r: TraceRecord | null;
        try {
          r = parser.parse(line, reader.lineNo);
        } catch (e) {
          reader.close();
          if (e instanceof TraceParseError) throw new TraceFileError(`${file}: ${e.message}`);
          throw e;
        }
        if (r !== null && (pid === null || r.pid === pid)) return r;
      }
    },
  };
}
