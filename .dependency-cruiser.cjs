const Module = require('node:module');

// TypeScript 7 (the project's `typescript`) has no JavaScript API; dependency-cruiser needs one to
// parse TypeScript and finds it with `require('typescript/package.json')`, `require.resolve` and
// `import('typescript')`, with no option to look elsewhere. As in eslint.config.js, `typescript`
// resolves here to TypeScript 6.0, installed as the alias `typescript-api`: CommonJS through
// Module._resolveFilename, ES modules through a resolve hook. dependency-cruiser decides which
// parsers it has before it reads its configuration, so `npm run lint:deps` also preloads this
// file (`node --require`); the redirection is idempotent, the second load changes nothing.
Module.register(
  `data:text/javascript,${encodeURIComponent(`
    export function resolve(specifier, context, next) {
      return next(/^typescript(\\/|$)/.test(specifier) ? 'typescript-api' + specifier.slice(10) : specifier, context);
    }
  `)}`,
);
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const target = /^typescript(\/|$)/.test(request) ? `typescript-api${request.slice('typescript'.length)}` : request;
  return resolveFilename.call(this, target, ...rest);
};

// The layers of src/, bottom to top. A module may import its own layer and those below it; the
// consumers (one layer of five folders) may not import one another.
const LAYERS = [['util'], ['machines'], ['actors'], ['score'], ['store'], ['coordination'], ['runtime'], ['observe', 'simulate', 'batches', 'testing', 'cluster'], ['cli']];
const folders = (names) => `^src/(${names.join('|')})/`;

// The pure dispatch planner: what it may import at all, and what it may import for types only.
const PLAN_DISPATCH = '^src/runtime/dispatch/plan-dispatch\\.ts$';
const PLAN_DISPATCH_MAY_IMPORT = ['^src/machines/'];
const PLAN_DISPATCH_MAY_IMPORT_TYPES_FROM = ['^src/runtime/gates/gate\\.ts$'];

// Node's modules that reach outside the process (files, processes, network, threads, the terminal).
const NODE_IO = '^(node:)?(fs|fs/promises|child_process|cluster|dgram|dns|dns/promises|http|http2|https|inspector|net|os|process|readline|readline/promises|repl|tls|tty|v8|vm|worker_threads|sqlite)$';

/** @type {import('dependency-cruiser').IConfiguration['forbidden']} */
const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.map((name) => `src/${name}`).join(', ')} imports no layer above it (${LAYERS.slice(index + 1).flat().map((name) => `src/${name}`).join(', ')}) and not src/index.ts.`,
  severity: 'error',
  from: { path: folders(layer) },
  to: { path: [folders(LAYERS.slice(index + 1).flat()), '^src/index\\.ts$'] },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle, type-only imports included: the modules in it are one module in fact.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'layer-consumers-apart',
      comment: 'src/observe, src/simulate, src/batches, src/testing and src/cluster consume the runtime; none of them imports another.',
      severity: 'error',
      from: { path: '^src/(observe|simulate|batches|testing|cluster)/' },
      to: { path: '^src/(observe|simulate|batches|testing|cluster)/', pathNot: '^src/$1/' },
    },
    {
      name: 'index-not-cli',
      comment: 'The public entry exports the library, not the command line.',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'machines-only-xstate',
      comment: 'src/machines holds pure XState definitions: it imports src/machines and the xstate package, nothing else (no node built-ins, no other package).',
      severity: 'error',
      from: { path: '^src/machines/' },
      to: { pathNot: ['^src/machines/', '^node_modules/xstate/'] },
    },
    {
      name: 'machines-reach-no-node-io',
      comment: 'Nothing that src/machines imports, however indirectly, may use node I/O.',
      severity: 'error',
      from: { path: '^src/machines/' },
      to: { path: NODE_IO, reachable: true },
    },
    {
      name: 'plan-dispatch-pure',
      comment: 'The dispatch planner is a pure function: it imports src/machines and, for types only, the gate contract.',
      severity: 'error',
      from: { path: PLAN_DISPATCH },
      to: { pathNot: [...PLAN_DISPATCH_MAY_IMPORT, ...PLAN_DISPATCH_MAY_IMPORT_TYPES_FROM] },
    },
    {
      name: 'plan-dispatch-types-only',
      comment: 'What the dispatch planner takes from the gate contract are types.',
      severity: 'error',
      from: { path: PLAN_DISPATCH },
      to: { path: PLAN_DISPATCH_MAY_IMPORT_TYPES_FROM, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'runtime-model-below-runtime',
      comment: 'src/runtime/model describes jobs; it does not know how they are dispatched, gated, attempted, made durable or driven.',
      severity: 'error',
      from: { path: '^src/runtime/model/' },
      to: { path: ['^src/runtime/(dispatch|gates|attempts|durability|sheets)/', '^src/runtime/conductor\\.ts$'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to no file or package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'src-not-to-dev-dep',
      comment:
        'src/ is what the package ships: what it imports at run time must be a dependency, not a devDependency; an optional peer dependency (ioredis, loaded only by the Redis backend) is installed for the tests as a devDependency too.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only', 'npm-peer'], pathNot: '^node_modules/@types/' },
    },
  ],
  options: {
    // Type-only imports are imports: a cycle or an upward reach through types alone still ties the
    // modules together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: '^node_modules/' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
