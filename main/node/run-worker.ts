/** A piscina worker: runs one simulation of a matrix run and returns its result. */
import { simulate } from '../engine/simulation';
import type { RunTask } from './runner';
import { fileTraceProvider } from './trace/provider';

export default function runTask(task: RunTask) {
  return simulate(task.spec, task.params, { traces: fileTraceProvider(task.spec) });
}
