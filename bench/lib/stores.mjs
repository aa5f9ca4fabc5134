// The checkpoint stores, from the build (run `npm run build` first). Kept apart from
// lib/baton.mjs so that scenarios without a store do not load better-sqlite3.
import { existsSync } from 'node:fs';

const entry = new URL('../../dist/store/index.js', import.meta.url);
if (!existsSync(entry)) throw new Error('dist/store/index.js is missing: run `npm run build`');

export const { SqliteStore, MemoryStore } = await import(entry.href);
if (typeof SqliteStore?.open !== 'function' || typeof MemoryStore !== 'function') {
  throw new Error('dist/store does not export SqliteStore and MemoryStore: run `npm run build`');
}
