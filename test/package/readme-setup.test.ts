import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };

/** The README's set-up block and the paragraph right above it. */
function setUp(): { above: string; commands: string } {
  const match = /\n\n((?:[^\n]+\n)+)\n```sh\n(npm ci[^`]*)```\n/.exec(readme);
  if (match === null) throw new Error('README.md has no ```sh block starting with `npm ci`');
  return { above: match[1]!, commands: match[2]! };
}

describe("the README's set-up", () => {
  it('is exactly two commands', () => {
    expect(setUp().commands).toBe('npm ci && npx baton run examples/agent-review.yaml\nnpm test\n');
  });

  it('finds the `baton` of `npx baton` in the repository itself, installing nothing', async () => {
    // The package is baton-runtime; npx must still find its `baton` command, and never fetch
    // the unrelated `baton` package of the registry.
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'baton', '--version'], { cwd: ROOT });
    expect(stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it("says right above them what they need: package.json's Node.js, and a compiler toolchain when better-sqlite3 builds from source", () => {
    const above = setUp().above.replace(/\n/g, ' ');
    const node = /^>=(\d+)$/.exec(manifest.engines.node)?.[1];
    expect(node, `engines.node is ${manifest.engines.node}`).toBeDefined();
    expect(above).toMatch(new RegExp(`^Prerequisites: Node\\.js ≥ ${node}\\.`));
    expect(above).toMatch(/better-sqlite3.*builds it from source, which takes about a minute and needs python3, make and a C\+\+ compiler/);
  });
});
