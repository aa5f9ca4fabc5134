/**
 * The README's first command, black-box: `baton run examples/agent-review.yaml` on a copy of
 * the example (so that nothing is written into the repository), with the fake agent's odds
 * pinned so that the run cannot fail by chance: every attempt ends with a JSON result whose
 * cost reaches the job; a copy whose agent always reports `is_error` fails its first sheet.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton } from '../cli/run-cli.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
let dir: string | undefined;
afterEach(() => dir !== undefined && removeDir(dir));

/** A copy of the example in a fresh folder, its fake agent's env replaced by `env`. */
function example(env: Record<string, string>): string {
  dir = makeTempDir('baton-agent-review-');
  mkdirSync(join(dir, 'examples'));
  copyFileSync(join(EXAMPLES, 'fake-agent.mjs'), join(dir, 'examples/fake-agent.mjs'));
  const lines = Object.entries(env).map(([key, value]) => `      ${key}: "${value}"`);
  const score = readFileSync(join(EXAMPLES, 'agent-review.yaml'), 'utf8').replace(/^ {6}FAKE_AGENT_FAILURE_RATE: .*\n {6}FAKE_AGENT_RATE_LIMIT_RATE: .*$/m, lines.join('\n'));
  expect(score).toContain(lines[0]);
  writeFileSync(join(dir, 'examples/agent-review.yaml'), score);
  return dir;
}

describe('examples/agent-review.yaml', () => {
  it('completes, its cost read from the JSON results', async () => {
    const cwd = example({ FAKE_AGENT_FAILURE_RATE: '0', FAKE_AGENT_RATE_LIMIT_RATE: '0', FAKE_AGENT_MAX_MS: '50' });
    const run = await baton(['run', 'examples/agent-review.yaml'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/agent-review: completed in .* — 8 completed, 0 failed, 0 skipped/);
    const status = await baton(['status', 'examples/agent-review.yaml', '--json'], { cwd });
    const sheets = (JSON.parse(status.stdout) as { sheets: Array<{ id: string; costUsd: number }> }).sheets;
    expect(sheets).toHaveLength(8);
    for (const sheet of sheets) expect(sheet.costUsd, sheet.id).toBeGreaterThan(0);
  });

  it('fails a sheet whose agent exits 0 reporting is_error, with the message', async () => {
    const cwd = example({ FAKE_AGENT_FAILURE_RATE: '1', FAKE_AGENT_RATE_LIMIT_RATE: '0', FAKE_AGENT_CRASH_SHARE: '0', FAKE_AGENT_MAX_MS: '0' });
    const run = await baton(['run', 'examples/agent-review.yaml'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/plan attempt 1 failed \(exited 0 but reported a failure \(is_error is true\): error: /);
  });
});
