/**
 * The package as an embedder installs it: `npm pack`, installed into a fresh project in the
 * temp folder, then the README's embedding snippet run there, a strict TypeScript consumer
 * type-checked against the shipped `.d.ts`, the examples run from the installed copy, and
 * the tarball's contents checked.
 */
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir } from '../support/temp-dir.js';
import { exec, packAndInstall, ROOT, type PackedProject } from './packed-project.js';

const TSC = join(ROOT, 'node_modules/.bin/tsc');
let packed: PackedProject;

beforeAll(async () => {
  packed = await packAndInstall();
}, 180_000);
afterAll(() => {
  if (packed !== undefined) removeDir(packed.dir);
});

/** The README's embedding snippet, verbatim: the code between its markers. */
function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const match = /<!-- embedding:start[^\n]*-->\n```ts\n([\s\S]*?)```\n<!-- embedding:end -->/.exec(readme);
  if (match === null) throw new Error('README.md has no ```ts block between <!-- embedding:start … --> and <!-- embedding:end -->');
  return match[1]!;
}

/** What the README tells an embedder to do before running the snippet: `cp -r node_modules/baton-runtime/examples .` */
function copyExamples(): void {
  const shipped = join(packed.project, 'node_modules/baton-runtime/examples');
  if (!existsSync(shipped)) throw new Error('the installed package has no examples/');
  cpSync(shipped, join(packed.project, 'examples'), { recursive: true });
}

/** A consumer that touches the main entry and the testing subpath, types included. */
const CONSUMER = `
import {
  Conductor,
  MemoryStore,
  SqliteStore,
  defineScore,
  type BatonEvent,
  type CheckpointStore,
  type JobResult,
  type SheetFunction,
} from 'baton-runtime';
import { HeldInstrument, createConductorSheetDriver, createSheetTestModel, type SheetModelSettings } from 'baton-runtime/testing';
import { SqliteCoordination, type CoordinationBackend, type CoordinationOptions } from 'baton-runtime/cluster';

const run: SheetFunction = async (ctx) => ({ ok: true, output: ctx.sheet.id });
const score = defineScore({ version: 1, name: 'typed', instruments: { f: { kind: 'function', run } }, sheets: [{ id: 'a' }] });
const stores: CheckpointStore[] = [new MemoryStore(), new SqliteStore('typed.db'), SqliteStore.open('typed.db', { readonly: true })];
const conductor = new Conductor({ maxConcurrent: 2 });
const sheetsSeen: string[] = [];
conductor.events$.subscribe((event: BatonEvent) => {
  if (event.type === 'attempt.ended') sheetsSeen.push(event.sheetId + ':' + event.outcome);
});
const result: JobResult = await conductor.waitForCompletion(conductor.register(score));
const settings: SheetModelSettings = { retries: 2, escalate: true };
const { model } = createSheetTestModel(settings);
const backend: CoordinationBackend = new SqliteCoordination('typed-coordination.db');
const coordination: CoordinationOptions = { backend, leaseMs: 5_000 };
console.log(result.outcome, stores.length, model.getShortestPaths().length, typeof createConductorSheetDriver, typeof HeldInstrument, coordination.leaseMs);
`;

/** Uses baton-runtime/cluster as a user without Redis: SQLite works, Redis asks for its client. */
const CLUSTER_USER = `
import { SqliteCoordination, openCoordination } from 'baton-runtime/cluster';
const backend = new SqliteCoordination('coordination.db');
await backend.reportLimit('api', null, 60_000);
console.log('limits', (await backend.read()).limits.length);
await backend.close();
await openCoordination('redis://127.0.0.1:1').catch((error) => console.log(error.message));
`;

describe('the packed package, installed in a fresh project', () => {
  it("runs the README's embedding snippet as it stands: the example job completes and checkpoints to a SqliteStore", async () => {
    copyExamples();
    writeFileSync(join(packed.project, 'embed.mjs'), readmeSnippet());
    const out = await exec(process.execPath, ['embed.mjs'], packed.project);
    expect(out).toMatch(/^completed \{/m);
    expect(out).toMatch(/^\s+failed: 0,$/m);
    expect(statSync(join(packed.project, 'build-fanout.db')).size).toBeGreaterThan(0);
  });

  it('type-checks a strict consumer (skipLibCheck false) of the main entry, baton-runtime/testing and baton-runtime/cluster, without better-sqlite3 or ioredis types', async () => {
    writeFileSync(join(packed.project, 'consumer.ts'), CONSUMER);
    writeFileSync(join(packed.project, 'embed.ts'), readmeSnippet());
    writeFileSync(
      join(packed.project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023'],
          types: ['node'],
          noEmit: true,
          noUncheckedIndexedAccess: true,
        },
        files: ['consumer.ts', 'embed.ts'],
      }),
    );
    // better-sqlite3 is installed (a dependency) but its types are not: nothing public may reach them.
    expect(existsSync(join(packed.project, 'node_modules/better-sqlite3'))).toBe(true);
    expect(existsSync(join(packed.project, 'node_modules/@types/better-sqlite3'))).toBe(false);
    const listed = (await exec(TSC, ['-p', '.', '--listFiles'], packed.project)).split('\n');
    expect(listed.some((file) => file.endsWith('node_modules/baton-runtime/dist/testing/index.d.ts'))).toBe(true);
    expect(listed.filter((file) => file.includes('better-sqlite3') || file.includes('ioredis'))).toEqual([]);
  });

  it('gives baton-runtime/cluster to a project without ioredis: SQLite coordination works, Redis says what to install', async () => {
    expect(existsSync(join(packed.project, 'node_modules/ioredis'))).toBe(false);
    writeFileSync(join(packed.project, 'cluster.mjs'), CLUSTER_USER);
    const out = await exec(process.execPath, ['cluster.mjs'], packed.project);
    expect(out).toContain('limits 1\n');
    expect(out).toContain('npm install ioredis');
  });

  it('ships LICENSE, README, docs/, examples/ and dist/, and no src/, test/, bench/ or scripts/', () => {
    const paths = packed.files.map((file) => file.path);
    const docs = readdirSync(join(ROOT, 'docs')).map((name) => `docs/${name}`);
    const examples = ['agent-review.yaml', 'build-fanout.yaml', 'function-pipeline.yaml', 'fake-agent.mjs', 'tasks.mjs', 'model-test/flaky-cli.sh'];
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', ...docs, ...examples.map((e) => `examples/${e}`)]));
    expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts', 'dist/cluster/index.js', 'dist/cluster/index.d.ts', 'dist/cli/main.js']));
    expect(paths.filter((path) => /^(src|test|bench|scripts|\.ci|node_modules|\.baton)\//.test(path))).toEqual([]);
    expect(readFileSync(join(packed.project, 'node_modules/baton-runtime/LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the baton authors\n/);
    // src/ is not shipped, so a source map that only pointed at it would map stack traces to nothing.
    const map = JSON.parse(readFileSync(join(packed.project, 'node_modules/baton-runtime/dist/runtime/conductor.js.map'), 'utf8')) as { sourcesContent?: string[] };
    expect(map.sourcesContent?.[0]).toContain('export class Conductor');
  });

  it('ships every docs/ file that README.md and `baton --help` point at', async () => {
    const installed = join(packed.project, 'node_modules/baton-runtime');
    const help = await exec(join(packed.project, 'node_modules/.bin/baton'), ['simulate', '--help'], packed.project);
    const pointed = new Set([...readFileSync(join(installed, 'README.md'), 'utf8').matchAll(/docs\/[a-z-]+\.md/g), ...help.matchAll(/docs\/[a-z-]+\.md/g)].map((m) => m[0]));
    expect(pointed.size).toBeGreaterThan(5);
    expect([...pointed].filter((doc) => !existsSync(join(installed, doc)))).toEqual([]);
  });

  it('runs the examples from the installed copy with the installed `baton` command, helper scripts included', async () => {
    copyExamples();
    const baton = join(packed.project, 'node_modules/.bin/baton');
    for (const score of ['agent-review', 'build-fanout', 'function-pipeline']) {
      await exec(baton, ['validate', `examples/${score}.yaml`], packed.project);
    }
    await exec(baton, ['run', 'examples/function-pipeline.yaml', '--quiet'], packed.project);
    expect(readFileSync(join(packed.project, '.baton/function-pipeline/word-report.txt'), 'utf8')).not.toBe('');
    const simulated = await exec(baton, ['simulate', 'examples/agent-review.yaml', '--profile', 'examples/agent-review.profile.yaml', '--seed', '7', '--runs', '1'], packed.project);
    expect(simulated).toMatch(/makespan/);
    // agent-review's instrument is `node ../../examples/fake-agent.mjs` from its workspace
    // (.baton/agent-review): the helper is there and runs.
    const agent = await exec(process.execPath, ['examples/fake-agent.mjs', '--model', 'fast', '--prompt', 'check'], packed.project, {
      FAKE_AGENT_FAILURE_RATE: '0',
      FAKE_AGENT_RATE_LIMIT_RATE: '0',
      FAKE_AGENT_MIN_MS: '0',
      FAKE_AGENT_MAX_MS: '0',
      BATON_SHEET_ID: 'check',
      BATON_ATTEMPT: '1',
      BATON_WORKSPACE: packed.dir,
    });
    expect(agent).toMatch(/^\{"type":"result".*"is_error":false.*"total_cost_usd":/m);
    expect(statSync(join(packed.project, 'examples/model-test/flaky-cli.sh')).mode & 0o111).not.toBe(0);
  });
});
