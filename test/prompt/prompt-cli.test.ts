import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, CLI, scoreFile, type CliResult } from '../cli/run-cli.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Runs the built CLI with extra environment variables. */
function batonWith(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A 1 MB prompt text; `{{sheet.id}}` at its start shows it is rendered as a template. */
function bigText(): string {
  const lines: string[] = [];
  for (let bytes = 0; bytes <= 1_000_000; ) {
    const line = `✓ ${randomBytes(30).toString('hex')}\n`;
    lines.push(line);
    bytes += Buffer.byteLength(line);
  }
  return lines.join('');
}

const HASH_STDIN = `const h = require('node:crypto').createHash('sha256'); process.stdin.on('data', (d) => h.update(d)); process.stdin.on('end', () => console.log(h.digest('hex')));`;

function jsonScore(score: object): string {
  return scoreFile(JSON.stringify(score), 'score.json');
}

function workspaceOf(score: string, name: string): string {
  return join(dirname(score), '.baton', name);
}

describe('baton run: a sheet prompt', () => {
  for (const spawner of ['helper', 'inline']) {
    it(`gives a 1 MB prompt on stdin byte for byte (BATON_SPAWNER=${spawner}), and keeps it as <n>.prompt`, async () => {
      const text = bigText();
      const score = jsonScore({
        version: 1,
        name: 'big',
        instruments: { agent: { kind: 'command', command: [process.execPath, '-e', HASH_STDIN] } },
        sheets: [{ id: 'review', prompt: `for {{sheet.id}}\n${text}` }],
      });
      const r = await batonWith(['run', score], { BATON_SPAWNER: spawner });
      expect(r.code, r.stderr).toBe(0);
      const folder = join(workspaceOf(score, 'big'), 'sheets', 'review');
      const rendered = `for review\n${text}`;
      expect(readFileSync(join(folder, '1.stdout'), 'utf8')).toBe(`${sha256(rendered)}\n`);
      expect(readFileSync(join(folder, '1.prompt'), 'utf8')).toBe(rendered);
    });
  }

  it('with prompt_via file, names the prompt file in args as {{prompt_file}}', async () => {
    const text = bigText();
    const score = jsonScore({
      version: 1,
      name: 'via-file',
      instruments: { agent: { kind: 'command', command: ['bash', '-c'], prompt_via: 'file' } },
      defaults: { prompt: text },
      sheets: [{ id: 'a', args: ['sha256sum < "$0" | cut -d" " -f1', '{{prompt_file}}'] }],
    });
    const r = await baton(['run', score]);
    expect(r.code).toBe(0);
    const folder = join(workspaceOf(score, 'via-file'), 'sheets', 'a');
    expect(readFileSync(join(folder, '1.stdout'), 'utf8')).toBe(`${sha256(text)}\n`);
  });

  it.runIf(process.platform === 'linux')('with prompt_via arg, fails a prompt over 128 KiB once, not retried, saying why', async () => {
    const score = jsonScore({
      version: 1,
      name: 'via-arg',
      instruments: { agent: { kind: 'command', command: ['echo'], prompt_via: 'arg' } },
      defaults: { retries: 3, backoff: { initial: '10ms' } },
      sheets: [{ id: 'a', prompt: 'z'.repeat(200 * 1024) }],
    });
    const r = await baton(['run', score]);
    expect(r.code).not.toBe(0);
    const status = await baton(['status', score, '--json']);
    const sheet = (JSON.parse(status.stdout) as { sheets: { id: string; state: string; attempts: number }[] }).sheets[0]!;
    expect(sheet).toMatchObject({ id: 'a', state: 'failed', attempts: 1 });
    expect(r.stdout + r.stderr).toContain('the prompt is 204800 bytes, longer than one argument may be (Linux caps one at 128 KiB');
    expect(r.stdout + r.stderr).toContain('use prompt_via: stdin');
  });

  it('gives a function instrument ctx.prompt (undefined for a sheet without one)', async () => {
    const score = scoreFile(`version: 1
name: fn
instruments:
  fn: { kind: function, module: ./task.mjs }
sheets:
  - id: a
    vars: { topic: pipes }
    prompt: |
      Write about {{vars.topic}}
      in sheet {{sheet.id}}.
  - { id: b }
`);
    writeFileSync(
      join(dirname(score), 'task.mjs'),
      `import { writeFileSync } from 'node:fs';
export default (ctx) => { writeFileSync(ctx.workspace + '/' + ctx.sheet.id + '.json', JSON.stringify({ prompt: ctx.prompt ?? null })); return { ok: true }; };`,
    );
    const r = await baton(['run', score]);
    expect(r.code).toBe(0);
    const seen = (id: string) => JSON.parse(readFileSync(join(workspaceOf(score, 'fn'), `${id}.json`), 'utf8')) as { prompt: string | null };
    expect(seen('a').prompt).toBe('Write about pipes\nin sheet a.\n');
    expect(seen('b').prompt).toBeNull();
  });
});

describe('baton validate: prompt templates', () => {
  it('names every unknown or misplaced name in a prompt, by path', async () => {
    const score = scoreFile(`version: 1
name: bad
instruments:
  sh: { kind: command, command: [bash, -c] }
defaults:
  prompt: "hello {{nope}}"
sheets:
  - { id: a, args: ["cat {{prompt_file}}"] }
  - { id: fan, fan_out: 2, prompt: "part {{fan.idx}} {{prompt_file}}" }
`);
    const r = await baton(['validate', score]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('defaults.prompt: unknown template name "nope"');
    expect(r.stderr).toContain('sheets[1].prompt: unknown template name "fan.idx"');
    expect(r.stderr).toContain('sheets[1].prompt: template name "prompt_file" is only available in args, not in the prompt');
    expect(r.stderr).toContain('sheets[0].args[0]: template name "prompt_file" needs an instrument with prompt_via: file');
    // A defaults prompt compiled for every sheet is reported once.
    expect(r.stderr.split('defaults.prompt:').length).toBe(2);
  });

  it('accepts a multi-line prompt with the names of args, and prompt_file with prompt_via file', async () => {
    const score = scoreFile(`version: 1
name: good
instruments:
  agent: { kind: command, command: [bash, -c], prompt_via: file }
sheets:
  - id: a
    vars: { area: docs }
    prompt: |
      Review {{vars.area}}, attempt {{sheet.attempt}} of sheet {{sheet.id}}
      in {{workspace}}.
    args: ["cat {{prompt_file}}"]
`);
    const r = await baton(['validate', score]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('what an agent was told', () => {
  const SCORE = `version: 1
name: told
instruments:
  agent: { kind: command, command: [bash, -c, "cat > /dev/null"] }
sheets:
  - id: a
    prompt: |
      Fix <script>alert("x")</script> & report in {{sheet.id}}
`;

  it('baton inspect prints a baton.prompt record with the whole prompt of each attempt', async () => {
    const score = scoreFile(SCORE);
    const r = await baton(['inspect', score]);
    expect(r.code).toBe(0);
    const records = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const prompts = records.filter((x) => x.type === 'baton.prompt');
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatchObject({ sheetId: 'a', run: 1, prompt: 'Fix <script>alert("x")</script> & report in a\n' });
    expect(prompts[0]!.file).toBe(join(workspaceOf(score, 'told'), 'sheets', 'a', '1.prompt'));
    expect(prompts[0]!.seq).toBe(records.length);
  });

  it('baton report shows the prompt, escaped, and cuts a long one naming its file', async () => {
    const long = `${'ü'.repeat(3000)}END`;
    const score = scoreFile(`${SCORE}  - { id: b, prompt: "${long}" }\n`);
    expect((await baton(['run', score])).code).toBe(0);
    const r = await baton(['report', score]);
    expect(r.code).toBe(0);
    const html = readFileSync(r.stdout.trim(), 'utf8');
    const section = html.slice(html.indexOf('<section id="prompts">'));
    expect(section).toContain('Fix &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; report in a');
    expect(section).not.toContain('<script>');
    const file = join(workspaceOf(score, 'told'), 'sheets', 'b', '1.prompt');
    expect(section).toContain(`the whole prompt is in <code>${file}</code>`);
    expect(section).toContain('ü'.repeat(2048));
    expect(section).not.toContain('END');
  });
});
