/**
 * Tests that measure a real device and need the machine to themselves (no other test files running
 * beside them): run one file at a time after the main suite (`npm run test:unit`).
 */
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['main/**/*.alone.test.ts'],
    exclude: [...configDefaults.exclude],
    fileParallelism: false,
  },
});
