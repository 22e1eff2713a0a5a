/** Bumped whenever a change to the model can change a result's numbers. */
export const ENGINE_VERSION = '0.4.0';
