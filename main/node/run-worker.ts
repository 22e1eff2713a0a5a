/** A piscina worker: runs one simulation of a matrix run and returns its result (or a window of its scheduler activity). */
import { simulate } from '../engine/simulation';
import type { RunTask } from './runner';
import { simulateWindow, type WindowTask } from './session/activity-window';
import { fileTraceProvider } from './trace/provider';

export default function runTask(task: RunTask | WindowTask) {
  if ('window' in task) return simulateWindow(task);
  return simulate(task.spec, task.params, { traces: fileTraceProvider(task.spec) });
}
