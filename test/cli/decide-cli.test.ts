import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, scoreFile } from './run-cli.js';

const score = `version: 1
name: decide-test
instruments:
  sh: { kind: command, command: [bash, -c] }
defaults: { retries: 0, escalate: true }
sheets:
  - { id: ask, args: ["echo ask >> {{workspace}}/ran; test -f {{workspace}}/ok"] }
  - { id: next, depends_on: [ask], args: ["echo next >> {{workspace}}/ran"] }
  - { id: other, args: ["echo other >> {{workspace}}/ran"] }
`;

function ran(path: string): string[] {
  return readFileSync(join(dirname(path), '.baton/decide-test/ran'), 'utf8').trim().split('\n');
}

describe('baton decide', () => {
  it('accept completes a held sheet; resume releases its dependents without re-running anything', async () => {
    const path = scoreFile(score);
    expect((await baton(['run', path, '--quiet'])).code).toBe(3);
    expect(ran(path).sort()).toEqual(['ask', 'other']);
    const decided = await baton(['decide', path, 'ask', 'accept']);
    expect(decided.code).toBe(0);
    expect(decided.stdout).toContain('ask: fermata → completed');
    const resumed = await baton(['resume', path, '--json']);
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary.sheets.map((s: { id: string; state: string }) => `${s.id}:${s.state}`)).toEqual(['ask:completed', 'next:completed', 'other:completed']);
    expect(ran(path).sort()).toEqual(['ask', 'next', 'other']);
  });

  it('fail ends the sheet and takes its dependents down; resume exits 1', async () => {
    const path = scoreFile(score);
    expect((await baton(['run', path, '--quiet'])).code).toBe(3);
    expect((await baton(['decide', path, 'ask', 'fail'])).code).toBe(0);
    const resumed = await baton(['resume', path, '--json']);
    expect(resumed.code).toBe(1);
    const states = JSON.parse(resumed.stdout).sheets.map((s: { id: string; state: string }) => `${s.id}:${s.state}`);
    expect(states).toEqual(['ask:failed', 'next:skipped', 'other:completed']);
  });

  it('exits 2 for a sheet that is not at a fermata, an unknown sheet, or an unknown decision', async () => {
    const path = scoreFile(score);
    expect((await baton(['run', path, '--quiet'])).code).toBe(3);
    const pending = await baton(['decide', path, 'next', 'accept']);
    expect(pending.code).toBe(2);
    expect(pending.stderr).toContain('sheet "next" is pending, not in fermata');
    expect((await baton(['decide', path, 'nope', 'accept'])).code).toBe(2);
    const bad = await baton(['decide', path, 'ask', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('use one of retry, skip, fail, accept');
  });
});
