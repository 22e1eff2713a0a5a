// The engine's V8 flags for a Node process the scripts start with this Node (npm start's browser
// mode, the bench): main/node/engine-node-flags.json, as main/node/node-flags.ts reads it, and none
// where this Node's V8 is older than the flags (Node 20's V8 11.3 refuses two of them at start).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'main', 'node', 'engine-node-flags.json');

export function engineNodeFlags(v8Version = process.versions.v8) {
  const { flags, min_v8_major } = JSON.parse(readFileSync(file, 'utf8'));
  return Number.parseInt(v8Version, 10) >= min_v8_major ? flags : [];
}
