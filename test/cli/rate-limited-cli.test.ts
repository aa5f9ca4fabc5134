/**
 * Rate-limited runs are counted apart from attempts, the same in `baton run --json`,
 * `baton status` and `baton status --json`: one real attempt plus one rate limit is
 * `attempts 1`, `rateLimited 1`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { baton } from './run-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function workspace(): { dir: string; score: string } {
  const dir = makeTempDir('baton-rate-limited-cli-');
  dirs.push(dir);
  // Rate-limited with 0 s on its first run (floored to min_wait), then succeeds.
  writeFileSync(join(dir, 'tasks.mjs'), 'let runs = 0;\nexport default async () => (++runs === 1 ? { ok: false, rate_limited_s: 0 } : { ok: true });\n');
  const score = join(dir, 'score.yaml');
  writeFileSync(
    score,
    'version: 1\nname: limited\nworkspace: ws\ninstruments:\n' +
      '  js: { kind: function, module: ./tasks.mjs, rate_limit: { patterns: [never-printed], min_wait: 20ms } }\n' +
      'defaults:\n  instrument: js\nsheets:\n  - { id: once }\n',
  );
  return { dir, score };
}

describe('rate-limited runs in the CLI', () => {
  it('are counted apart from attempts by run --json, status and status --json', async () => {
    const w = workspace();
    const run = await baton(['run', w.score, '--json'], { cwd: w.dir });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { sheets: Array<Record<string, unknown>> };
    expect(summary.sheets[0]).toMatchObject({ id: 'once', state: 'completed', attempts: 1, rateLimited: 1 });

    const json = await baton(['status', w.score, '--json'], { cwd: w.dir });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { sheets: Array<Record<string, unknown>> };
    expect(doc.sheets[0]).toMatchObject({ id: 'once', state: 'completed', attempts: 1, rateLimited: 1 });

    const text = await baton(['status', w.score], { cwd: w.dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\s+once\s+completed\s+attempts\s+1\s+rate-limited 1$/m);
  });
});
