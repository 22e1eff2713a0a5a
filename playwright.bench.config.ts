/**
 * `npm run bench`'s UI probes (e2e/*.bench.ts): the e2e setup without tracing or failure
 * screenshots, which would slow the page being measured.
 */
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testMatch: '**/*.bench.ts',
  retries: 0,
  use: { ...base.use, trace: 'off', screenshot: 'off', video: 'off' },
});
