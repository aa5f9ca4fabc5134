/**
 * `baton status` beside a run held by a model-scoped rate limit: it names the instrument and
 * the model, in `--json` and in the plain lines, and the other model's sheet has completed.
 * Waits poll the checkpoint; nothing asserts on timing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusJson } from '../durability/baton-process.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { baton, startBaton, type BatonProcess } from './run-cli.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A score whose `fast` sheet is rate-limited for an hour, and whose `slow` sheet succeeds. */
function workspace(): { dir: string; score: string } {
  const dir = makeTempDir('baton-status-limits-');
  writeFileSync(
    join(dir, 'tasks.mjs'),
    "export default async (ctx) => (ctx.model === 'fast' ? { ok: false, error: '429', rate_limited_s: 3600 } : { ok: true });\n",
  );
  const score = join(dir, 'score.yaml');
  writeFileSync(
    score,
    [
      'version: 1',
      'name: limits',
      'workspace: ws',
      'instruments:',
      '  api:',
      '    kind: function',
      '    module: ./tasks.mjs',
      '    models: { fast: null, slow: null }',
      '    rate_limit: { patterns: ["429"], scope: model }',
      'sheets:',
      '  - { id: fast, instrument: api, model: fast }',
      '  - { id: slow, instrument: api, model: slow }',
      '',
    ].join('\n'),
  );
  return { dir, score };
}

describe('baton status and a model-scoped rate limit', () => {
  it('names the instrument and the model of the limit in force', async () => {
    const w = workspace();
    const running: BatonProcess = startBaton(['run', w.score, '--quiet'], { cwd: w.dir });
    cleanups.push(async () => {
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGKILL');
        await running.exited;
      }
      removeDir(w.dir);
    });

    const doc = await waitFor(
      async () => {
        const { status } = await statusJson(w.score, { cwd: w.dir });
        const states = Object.fromEntries((status?.sheets ?? []).map((s) => [s.id, s.state]));
        return states.fast === 'waiting' && states.slow === 'completed' ? status : undefined;
      },
      { pollMs: 20 },
    );
    expect((doc as unknown as { rateLimits: unknown[] }).rateLimits).toEqual([
      expect.objectContaining({ instrument: 'api', model: 'fast' }),
    ]);
    const text = await baton(['status', w.score], { cwd: w.dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/rate-limited: api\/fast for another \d+s/);
  });
});
