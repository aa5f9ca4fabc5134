export type * from './types.js';
export * from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { SqliteStore, openCheckpoint, type SqliteStoreOptions } from './sqlite-store.js';
