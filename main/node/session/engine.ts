/**
 * The only module of the session/serve side that reaches into the engine. Keeps the import list
 * in one place (the worker and the API handler use it).
 */
export { expandMatrix, formatZodIssues, validateSpec } from '../../common/spec/validate';
export { characterizeDisk, DISK_PRESETS, resolveDiskSpec } from '../../engine/disk/index';
export { DEFAULT_PRESET, EXPERIMENT_PRESETS } from '../../engine/presets/index';
export { Simulation } from '../../engine/simulation';
export { ENGINE_VERSION } from '../../engine/version';
