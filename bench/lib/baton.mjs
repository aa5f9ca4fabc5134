// The library under test, imported by its package name as an embedder imports it: the name
// resolves to the build through package.json's `exports` (run `npm run build` first).
const lib = await import('baton-runtime').catch((error) => {
  throw new Error(`cannot import baton-runtime (${error.message}): run \`npm run build\``, { cause: error });
});

export const { Conductor, defineScore, sheetMachine } = lib;
if (typeof Conductor !== 'function' || typeof defineScore !== 'function') {
  throw new Error('baton-runtime does not export Conductor and defineScore: run `npm run build`');
}
