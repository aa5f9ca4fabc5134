// The checkpoint stores, by the package's name like lib/baton.mjs (run `npm run build` first).
const lib = await import('baton-runtime').catch((error) => {
  throw new Error(`cannot import baton-runtime (${error.message}): run \`npm run build\``, { cause: error });
});

export const { SqliteStore, MemoryStore } = lib;
if (typeof SqliteStore?.open !== 'function' || typeof MemoryStore !== 'function') {
  throw new Error('baton-runtime does not export SqliteStore and MemoryStore: run `npm run build`');
}
