/** The trace methods of the API contract (previewTrace, validateTrace): errors become answers the UI shows inline. */
import type { TracePreviewReply, TraceValidationReply } from '../../common/api';
import type { TraceFormat } from '../../common/spec/schema';
import { TraceFileError } from './reader';
import { scanTrace } from './scan';
import { runValidation } from './validate';

const failure = (e: unknown): { ok: false; error: string } => {
  if (e instanceof TraceFileError) return { ok: false, error: e.message };
  throw e;
};

export function previewTraceFile(req: {
  file: string;
  format: TraceFormat;
  events?: 'Q' | 'D';
}): TracePreviewReply {
  try {
    return { ok: true, preview: scanTrace(req.file, req.format, req.events ?? 'Q') };
  } catch (e) {
    return failure(e);
  }
}

export function validateTraceFile(req: {
  file: string;
  format: TraceFormat;
  disk: string;
}): TraceValidationReply {
  try {
    return { ok: true, report: runValidation(req) };
  } catch (e) {
    return failure(e);
  }
}
