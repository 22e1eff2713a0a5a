/** The real-disk backend's API (CLI, UI session, bench). */

export { parseSpec } from '../../common/spec/validate';
export {
  artefactFlags,
  type RealExperimentResult,
  type RealInfo,
  type RealOptions,
  RealRefusal,
  type RealRunResult,
  runReal,
  vmProcessFile,
} from './run';
export { checkDir, cleanLeftovers } from './safety';
export { deviceOf } from './sysfs';
