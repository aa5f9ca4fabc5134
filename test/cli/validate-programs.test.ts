import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, scoreFile } from './run-cli.js';

function score(command: string, extra = ''): string {
  return `version: 1
name: programs
workspace: ws
${extra}instruments:
  tool: { kind: command, command: ${command} }
sheets:
  - { id: a, args: ["x"] }
`;
}

describe('baton validate: programs that cannot be started now', () => {
  it('warns, exiting 0, when a program is not on PATH, naming the instrument path and the program', async () => {
    const r = await baton(['validate', scoreFile(score('[no-such-program-baton-test]'))]);
    expect(r.code).toBe(0);
    expect(r.stderr.trim()).toBe(
      'warning: instruments.tool.command[0]: program "no-such-program-baton-test" not found on PATH; an earlier sheet may still create it',
    );
    expect(r.stdout).toContain('programs: valid (1 sheet, 1 instrument)');
  });

  it('resolves a relative program against the workspace, as an attempt does', async () => {
    const path = scoreFile(score('[./tool.sh]'));
    const workspace = join(dirname(path), 'ws');
    const missing = await baton(['validate', path]);
    expect(missing.code).toBe(0);
    expect(missing.stderr).toContain(`warning: instruments.tool.command[0]: program "./tool.sh" not found (looked for ${join(workspace, 'tool.sh')})`);

    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, 'tool.sh'), '#!/bin/sh\nexit 0\n');
    const notExecutable = await baton(['validate', path]);
    expect(notExecutable.code).toBe(0);
    expect(notExecutable.stderr.trim()).toBe(`warning: instruments.tool.command[0]: program "./tool.sh" is not an executable file (${join(workspace, 'tool.sh')})`);

    chmodSync(join(workspace, 'tool.sh'), 0o755);
    const fine = await baton(['validate', path]);
    expect(fine.code).toBe(0);
    expect(fine.stderr).toBe('');
  });

  it('says nothing of a program found on PATH', async () => {
    const r = await baton(['validate', scoreFile(score('[bash, -c]'))]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('baton run: a program that does not exist', () => {
  it('fails the sheet at once, without the retries that cannot start it either', async () => {
    const r = await baton(['run', scoreFile(score('[no-such-program-baton-test]', 'defaults: { retries: 3, backoff: { initial: 10ms } }\n')), '--json']);
    expect(r.code).toBe(1);
    const [sheet] = JSON.parse(r.stdout).sheets;
    expect(sheet).toMatchObject({ id: 'a', state: 'failed', attempts: 1, reason: 'unavailable' });
    expect(sheet.error).toContain('cannot start "no-such-program-baton-test": command not found');
  });

  it('with escalate, holds it at a fermata at once', async () => {
    const r = await baton(['run', scoreFile(score('[no-such-program-baton-test]', 'defaults: { retries: 3, heal: true, escalate: true, backoff: { initial: 10ms } }\n')), '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).sheets[0]).toMatchObject({ state: 'fermata', attempts: 1, reason: 'unavailable' });
  });
});
