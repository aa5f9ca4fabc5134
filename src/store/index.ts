export type * from './types.js';
export * from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export {
  CHECKPOINT_FILE_NAME,
  SqliteStore,
  checkpointPath,
  openCheckpoint,
  type SqliteStoreOptions,
} from './sqlite-store.js';
export { BATON_APPLICATION_ID, LATEST_SCHEMA_VERSION } from './migrations.js';
export { isProcessAlive } from './lock.js';
