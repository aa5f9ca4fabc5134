/** `baton report` through the built CLI: where it writes, what it says when it cannot. */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, scoreFile } from '../cli/run-cli.js';

const score = (name: string, args: string) => `
version: 1
name: ${name}
instruments:
  sh: { kind: command, command: [bash, -c] }
sheets:
  - id: only
    instrument: sh
    args: ["${args}"]
`;

describe('baton report', () => {
  it('writes <workspace>/report.html by default, private like the checkpoint, and prints its path', async () => {
    const path = scoreFile(score('after-run', 'echo hi'));
    expect((await baton(['run', path, '--quiet'])).code).toBe(0);
    const result = await baton(['report', path]);
    const out = join(dirname(path), '.baton', 'after-run', 'report.html');
    expect(result).toEqual({ code: 0, stdout: `${out}\n`, stderr: '' });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<h1>after-run</h1>');
    expect(html).toContain('<g class="row" data-sheet="only" data-state="completed"');
  }, 30_000);

  it('reports a job while another process runs it, up to now', async () => {
    const path = scoreFile(score('live', 'sleep 4'));
    const run = baton(['run', path, '--quiet']);
    for (let i = 0; i < 100; i++) {
      const status = await baton(['status', path, '--json']);
      if (status.code === 0 && (JSON.parse(status.stdout) as { counts: { running: number } }).counts.running === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const out = join(dirname(path), 'live.html');
    const result = await baton(['report', path, '--out', out]);
    expect(result.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('still running: this is the state at');
    expect(html).toMatch(/<g class="row" data-sheet="only" data-state="running"[^]*?<rect class="a-running open"/);
    expect((await run).code).toBe(0);
  }, 30_000);

  it('says there is no checkpoint yet, in one line', async () => {
    const path = scoreFile(score('never-run', 'true'));
    const result = await baton(['report', path]);
    const db = join(dirname(path), '.baton', 'never-run', 'baton.db');
    expect(result).toEqual({ code: 2, stdout: '', stderr: `no checkpoint at ${db}: run \`baton run\` first\n` });
  });

  it('names the bad field of an invalid score', async () => {
    const path = scoreFile('version: 1\nname: "bad name!"\nsheets: []\n');
    const result = await baton(['report', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^name: /);
    expect(result.stderr.trim().split('\n').every((line) => !line.includes('    at '))).toBe(true);
  });

  it('says where it could not write, in one line', async () => {
    const path = scoreFile(score('nowhere', 'true'));
    expect((await baton(['run', path, '--quiet'])).code).toBe(0);
    const out = join(dirname(path), 'missing-folder', 'r.html');
    const result = await baton(['report', path, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^cannot write the report to ${out}: ENOENT[^\\n]*\\n$`));
  }, 30_000);
});
