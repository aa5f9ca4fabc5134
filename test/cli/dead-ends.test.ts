import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, scoreFile } from './run-cli.js';

/** Runs `baton ARGS` in the score's folder, so the score path is typed as `score.yaml`. */
function inFolderOf(path: string, args: string[]) {
  return baton(args, { cwd: dirname(path) });
}

const HELD = `version: 1
name: held
defaults: { retries: 0, escalate: true }
instruments:
  sh: { kind: command, command: [bash, -c] }
sheets:
  - { id: ok, args: ["true"] }
  - { id: flaky, args: ["echo boom >&2; exit 3"] }
  - { id: shaky, args: ["echo bust >&2; exit 4"] }
`;

describe('dead ends name the next command, with the score path as typed', () => {
  it('a job held at a fermata names baton decide for each held sheet, then baton resume', async () => {
    const path = scoreFile(HELD);
    const r = await inFolderOf(path, ['run', 'score.yaml']);
    expect(r.code).toBe(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('  flaky: fermata (failed): exited with status 3: boom');
    expect(lines).toContain('    decide: `baton decide score.yaml flaky retry|skip|fail|accept`');
    expect(lines).toContain('    decide: `baton decide score.yaml shaky retry|skip|fail|accept`');
    expect(lines.at(-1)).toBe('then continue the job with `baton resume score.yaml`');
  });

  it('a budget pause says what was spent of what budget, and how to go on', async () => {
    const path = scoreFile(`version: 1
name: spend
concurrency: 1
budget_usd: 0.10
instruments:
  sh: { kind: command, command: [bash, -c], cost_pattern: "cost_usd=([0-9.]+)" }
sheets:
  - { id: a, args: ["echo cost_usd=0.06"] }
  - { id: b, depends_on: [a], args: ["echo cost_usd=0.06"] }
  - { id: c, depends_on: [b], args: ["echo cost_usd=0.06"] }
`);
    const r = await inFolderOf(path, ['run', 'score.yaml']);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('spent $0.12 of $0.10 budget: raise budget_usd in the score and run `baton resume score.yaml`');
    const status = await inFolderOf(path, ['status', 'score.yaml']);
    expect(status.stdout.trim().split('\n').at(-1)).toBe('next: raise budget_usd in the score and run `baton resume score.yaml`');
  });

  it('decide names the score, not the internal job id, and the sheets that are at a fermata', async () => {
    const path = scoreFile(HELD);
    expect((await inFolderOf(path, ['run', 'score.yaml', '--quiet'])).code).toBe(3);
    const unknown = await inFolderOf(path, ['decide', 'score.yaml', 'nope', 'retry']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(
      'score.yaml has no sheet "nope"; at a fermata: flaky, shaky (`baton decide score.yaml flaky retry|skip|fail|accept`)',
    );
    const notHeld = await inFolderOf(path, ['decide', 'score.yaml', 'ok', 'retry']);
    expect(notHeld.code).toBe(2);
    expect(notHeld.stderr).toContain('sheet "ok" is completed, not in fermata: there is no decision to make; at a fermata: flaky, shaky');
    const first = await inFolderOf(path, ['decide', 'score.yaml', 'flaky', 'accept']);
    expect(first.stdout.trim()).toBe(
      'flaky: fermata → completed; still at a fermata: shaky (`baton decide score.yaml shaky retry|skip|fail|accept`), then `baton resume score.yaml`',
    );
  });

  it('status no longer says held once every fermata is decided, and names baton resume', async () => {
    const path = scoreFile(HELD);
    expect((await inFolderOf(path, ['run', 'score.yaml', '--quiet'])).code).toBe(3);
    const held = await inFolderOf(path, ['status', 'score.yaml']);
    expect(held.stdout).toMatch(/^held: held, not running/);
    expect(held.stdout).toContain('next: `baton decide score.yaml flaky retry|skip|fail|accept`');
    for (const sheet of ['flaky', 'shaky']) expect((await inFolderOf(path, ['decide', 'score.yaml', sheet, 'skip'])).code).toBe(0);
    const decided = await inFolderOf(path, ['status', 'score.yaml']);
    expect(decided.stdout).toMatch(/^held: every fermata decided, not running/);
    expect(decided.stdout).not.toMatch(/^held: held/);
    expect(decided.stdout.trim().split('\n').at(-1)).toBe('next: `baton resume score.yaml`');
    const json = JSON.parse((await inFolderOf(path, ['status', 'score.yaml', '--json'])).stdout);
    expect(json.outcome).toBeNull();
  });

  it('quotes a score path a shell would split', async () => {
    const path = scoreFile(HELD, 'my score.yaml');
    const r = await inFolderOf(path, ['run', 'my score.yaml']);
    expect(r.stdout).toContain("`baton decide 'my score.yaml' flaky retry|skip|fail|accept`");
  });
});
