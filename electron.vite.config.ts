import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import { builtinImportsPlugin } from './main/build/builtin-imports';

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  main: {
    // Node built-ins through process.getBuiltinModule, not ES imports: see main/build/builtin-imports.ts;
    // a build also empties bin/pvblk.mjs's compile cache (its entries are for the old chunks).
    plugins: [builtinImportsPlugin(r('./node_modules/.cache/pvblk-compile'))],
    build: {
      outDir: 'out/main',
      // Bundle the small pure libraries the CLI and the engine load at every start (zod alone is
      // some 60 ES modules to resolve and load one by one); the rest stay external.
      externalizeDeps: { exclude: ['zod', 'pure-rand'] },
      rolldownOptions: {
        input: {
          index: r('./main/electron/index.ts'),
          cli: r('./main/node/cli/pvblk.ts'),
          'sim-worker': r('./main/node/session/sim-worker.ts'),
          'run-worker': r('./main/node/run-worker.ts'),
          // `npm run bench` (engine speed, one core)
          'bench-engine': r('./main/node/bench-engine.ts'),
          // Browser mode as a library entry (scripts/start.mjs and the e2e server import it).
          serve: r('./main/node/serve/server.ts'),
          // Real-disk backend: a VM process (forked) and its I/O threads (worker_threads).
          'real-vm': r('./main/node/real/vm-process.ts'),
          'real-io': r('./main/node/real/io-thread.ts'),
          // The backend's API as a library entry (scripts/real-bench.mjs imports it).
          real: r('./main/node/real/index.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: r('./preload/index.ts') },
        // A sandboxed preload cannot be an ES module: emit CommonJS (out/preload/index.cjs).
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: r('./renderer'),
    resolve: { alias: { '@common': r('./main/common') } },
    plugins: [vue()],
    build: {
      outDir: 'out/renderer',
      rolldownOptions: { input: { index: r('./renderer/index.html') } },
    },
  },
});
