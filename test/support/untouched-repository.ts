/**
 * vitest global setup: the test run must write nothing into the repository. Lists every
 * file and folder in it before the run and fails the run at teardown if a new one appeared
 * (an empty folder counts: a job's workspace is one before anything is written in it).
 * Comparing before with after leaves alone what the developer had already, in `.baton/` or
 * anywhere else.
 */
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Not looked into: git's and npm's folders, and where a run may write: test-artifacts/ is
 * where tests put what CI keeps (the report's screenshot); dist/ and coverage/ are what
 * `npm run build` and `vitest --coverage` make.
 */
const SKIPPED = new Set(['.git', 'node_modules', 'test-artifacts', 'dist', 'coverage']);

/** Every path under the repository (folders end in `/`), without the skipped top-level folders. */
export function repositoryPaths(root = ROOT): Set<string> {
  const paths = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const name = relative(root, path);
      if (dir === root && SKIPPED.has(entry.name)) continue;
      if (entry.isDirectory()) {
        paths.add(`${name}/`);
        walk(path);
      } else {
        paths.add(name);
      }
    }
  };
  walk(root);
  return paths;
}

/** What appeared in `after` that was not in `before`, as a message; undefined when nothing did. */
export function newPathsProblem(before: Set<string>, after: Set<string>): string | undefined {
  // A new folder's contents are new too: name the folder only.
  const created = [...after].filter((path) => !before.has(path)).sort();
  const tops = created.filter((path) => !created.some((other) => other !== path && other.endsWith('/') && path.startsWith(other)));
  if (tops.length === 0) return undefined;
  const shown = tops.slice(0, 20).join('\n  ');
  const more = tops.length > 20 ? `\n  … and ${tops.length - 20} more` : '';
  return `the test run wrote into the repository (tests write into os.tmpdir(), see test/support/temp-dir.ts):\n  ${shown}${more}`;
}

export default function setup(): () => void {
  const before = repositoryPaths();
  return () => {
    const problem = newPathsProblem(before, repositoryPaths());
    if (problem === undefined) return;
    // vitest prints an error thrown here but still exits 0: set the status ourselves.
    process.exitCode = 1;
    throw new Error(problem);
  };
}
