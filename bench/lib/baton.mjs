// The library under test, from the build (run `npm run build` first). Uses the public entry
// dist/index.js; until that exists, falls back to the modules it will re-export.
import { existsSync } from 'node:fs';

const entry = new URL('../../dist/index.js', import.meta.url);
const lib = existsSync(entry)
  ? await import(entry.href)
  : {
      ...(await import(new URL('../../dist/runtime/conductor.js', import.meta.url).href)),
      ...(await import(new URL('../../dist/score/load.js', import.meta.url).href)),
    };

export const { Conductor, defineScore, sheetMachine } = lib;
if (typeof Conductor !== 'function' || typeof defineScore !== 'function') {
  throw new Error('dist/ does not export Conductor and defineScore: run `npm run build`');
}
