/**
 * A fresh project outside the repository that installed the package from `npm pack`'s
 * tarball, as an embedder's project would. Dependencies come from npm's cache when it has
 * them (`--prefer-offline`); install scripts are skipped so that better-sqlite3 is not
 * rebuilt from source (a minute), and the repository's own compiled binding of the same
 * version is copied in instead.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from '../support/temp-dir.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const requireFromRoot = createRequire(join(ROOT, 'package.json'));

interface PackedFile {
  path: string;
  mode: number;
}

export interface PackedProject {
  /** The temporary folder holding the tarball and the project. */
  readonly dir: string;
  /** The consumer project, with node_modules/baton-runtime installed from the tarball. */
  readonly project: string;
  /** What the tarball holds, as `npm pack --json` lists it. */
  readonly files: PackedFile[];
}

/**
 * The environment for the npm and node children: without what `npm test` sets about the
 * repository's own package (`npm_config_local_prefix` would send an install back into the
 * repository), with the rest of npm's configuration (registry, cache, certificates) kept.
 */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const own = /^npm_(package_|lifecycle_|command$|config_local_prefix$)/i;
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !own.test(key)));
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

/** Runs a program to its end; a non-zero exit rejects with its output. */
export async function exec(file: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, env: childEnv(extraEnv), maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    // The last of each stream is what says why; the whole of it (a tsc file list) would bury
    // that, here and in the cause, which carries both streams: both are cut to their end.
    const failure = error as { code?: number | string; stdout?: string; stderr?: string };
    const tail = (text = '') => text.slice(-4000);
    failure.stdout = tail(failure.stdout);
    failure.stderr = tail(failure.stderr);
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed (${String(failure.code)}):\n${failure.stdout}\n${failure.stderr}`, {
      cause: error,
    });
  }
}

/** The version of a package installed in the repository's node_modules. */
function repoVersion(name: string): string {
  return (JSON.parse(readFileSync(requireFromRoot.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

/** Packs the repository's build and installs the tarball into a new project in the temp folder. */
export async function packAndInstall(): Promise<PackedProject> {
  for (const built of ['dist/index.js', 'dist/testing/index.js', 'dist/cli/main.js']) {
    if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
  const dir = makeTempDir('baton-tarball-');
  // --ignore-scripts: `prepare` would rebuild dist/ under the feet of the other test files
  // running the CLI from it; `npm test` has built it.
  const packed = JSON.parse(await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT)) as Array<{
    filename: string;
    files: PackedFile[];
  }>;
  const tarball = join(dir, packed[0]!.filename);

  const project = join(dir, 'project');
  mkdirSync(project);
  // better-sqlite3 pinned to the repository's version, so that its binding fits; @types/node
  // because a TypeScript project on Node.js has it.
  const sqlite = repoVersion('better-sqlite3');
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'embedder',
      private: true,
      type: 'module',
      dependencies: { 'baton-runtime': `file:${tarball}`, 'better-sqlite3': sqlite, '@types/node': repoVersion('@types/node') },
    }),
  );
  await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], project);

  const binding = join(dirname(requireFromRoot.resolve('better-sqlite3/package.json')), 'build/Release/better_sqlite3.node');
  if (!existsSync(binding)) throw new Error(`${binding} is missing: the repository's better-sqlite3 was never built (npm ci)`);
  const target = join(project, 'node_modules/better-sqlite3/build/Release');
  mkdirSync(target, { recursive: true });
  copyFileSync(binding, join(target, 'better_sqlite3.node'));

  return { dir, project, files: packed[0]!.files };
}
