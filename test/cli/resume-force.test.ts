import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, scoreFile } from './run-cli.js';

function score(members: number): string {
  return `version: 1
name: shrink
defaults: { retries: 0, escalate: true }
instruments:
  sh: { kind: command, command: [bash, -c] }
sheets:
  - { id: gate, args: ["test -e {{workspace}}/open"] }
  - { id: work, depends_on: [gate], fan_out: ${members}, args: ["touch {{workspace}}/ran-{{fan.index}}"] }
`;
}

describe('baton resume --force after a fan-out shrank', () => {
  it('drops the members the score no longer has: gone from the job and from status, and never run', async () => {
    const path = scoreFile(score(6));
    const workspace = join(dirname(path), '.baton', 'shrink');
    expect((await baton(['run', path, '--quiet'])).code).toBe(3);
    expect((await baton(['decide', path, 'gate', 'accept'])).code).toBe(0);
    const before = JSON.parse((await baton(['status', path, '--json'])).stdout);
    expect(before.sheets.map((s: { id: string }) => s.id)).toContain('work.6');

    writeFileSync(path, score(4));
    const refused = await baton(['resume', path]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('fan-out "work" shrank from 6 to 4 members');

    const resumed = await baton(['resume', path, '--force', '--json']);
    expect(resumed.code).toBe(0);
    const ids = ['gate', 'work.1', 'work.2', 'work.3', 'work.4'];
    expect(JSON.parse(resumed.stdout).sheets.map((s: { id: string }) => s.id)).toEqual(ids);
    const status = JSON.parse((await baton(['status', path, '--json'])).stdout);
    expect(status.sheets.map((s: { id: string }) => s.id)).toEqual(ids);
    expect(status.counts).toMatchObject({ completed: 5, pending: 0, ready: 0 });
    const text = (await baton(['status', path])).stdout;
    expect(text).not.toContain('work.5');
    expect(text).not.toContain('work.6');
    expect([1, 2, 3, 4].every((i) => existsSync(join(workspace, `ran-${i}`)))).toBe(true);
    expect(existsSync(join(workspace, 'ran-5')) || existsSync(join(workspace, 'ran-6'))).toBe(false);
    expect(readFileSync(path, 'utf8')).toContain('fan_out: 4');
  });
});
