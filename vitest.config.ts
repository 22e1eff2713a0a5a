import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [vue()],
  resolve: { alias: { '@common': fileURLToPath(new URL('./main/common', import.meta.url)) } },
  test: {
    include: ['main/**/*.test.ts', 'renderer/**/*.test.ts'],
    // *.alone.test.ts measure real devices and need the machine to themselves: vitest.alone.config.ts
    exclude: [...configDefaults.exclude, '**/*.alone.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'threads',
  },
});
