// Jain's index lives in main/common (the UI's series merge uses it too); the engine's metrics import it here.
export { jainIndex } from '../../common/fairness';
