// Starts the built browser-mode server for Playwright on a fixed port and writes the tokenized URL
// to test-results/.server-url (the specs read it). Usage: node e2e/serve-for-tests.mjs [port]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.argv[2] ?? process.env.PVBLK_E2E_PORT ?? 47613);
const { startServer } = await import(pathToFileURL(join(root, 'out/main/serve.js')).href);
const server = await startServer({ port, distDir: join(root, 'out/renderer') });
const file = join(root, 'test-results', '.server-url');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, server.url);
console.log(`PV Block Lab test server at ${server.url}`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
