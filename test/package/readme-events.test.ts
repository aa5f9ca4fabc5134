import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ATTEMPT_OUTCOMES, BATON_EVENT_TYPES } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/events.mjs');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = makeTempDir('baton-readme-events-');
afterAll(() => removeDir(dir));

/** `node scripts/events.mjs --check FILE`: how it exited and what it said. */
async function check(file: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, '--check', file]);
    return { code: 0, out: stdout };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, out: stderr };
  }
}

/** The first column of the README's generated table, and the outcomes listed under it. */
function listed(text: string): { types: string[]; outcomes: string[] } {
  const block = /<!-- events:start -->\n([\s\S]*?)<!-- events:end -->/.exec(text)?.[1] ?? '';
  return {
    types: [...block.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1]!),
    outcomes: [...block.matchAll(/^- `([a-z_]+)`: /gm)].map((m) => m[1]!),
  };
}

describe("README.md's event list (regenerate with `npm run build && npm run events`)", () => {
  it('is the one generated from BATON_EVENT_TYPES and ATTEMPT_OUTCOMES, which the compiler holds to BatonEvent', async () => {
    expect(await check(join(ROOT, 'README.md'))).toEqual({ code: 0, out: `events: ${join(ROOT, 'README.md')} is up to date\n` });
    expect(listed(readme)).toEqual({ types: Object.keys(BATON_EVENT_TYPES), outcomes: Object.keys(ATTEMPT_OUTCOMES) });
  });

  it('lists the events the hand-written list missed', () => {
    expect(listed(readme).types).toEqual(expect.arrayContaining(['job.paused', 'job.resumed', 'sheet.decided', 'sheet.partial', 'buffer.depth']));
  });

  it('is found stale when it lacks an event, and refused without its markers', async () => {
    const stale = join(dir, 'stale.md');
    writeFileSync(stale, readme.replace(/^\| `buffer\.depth` \|.*\n/m, ''));
    expect(await check(stale)).toEqual({ code: 1, out: `events: the event list in ${stale} is stale: run \`npm run build && npm run events\`\n` });

    const unmarked = join(dir, 'unmarked.md');
    writeFileSync(unmarked, readme.replace('<!-- events:end -->', ''));
    expect(await check(unmarked)).toEqual({ code: 2, out: `events: ${unmarked} must hold exactly one <!-- events:start --> … <!-- events:end --> block\n` });
  });
});
