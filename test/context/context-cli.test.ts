import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, scoreFile } from '../cli/run-cli.js';

describe('baton: a sheet context', () => {
  it('run gives the prompt the context of a dependency and a file, kept in <n>.prompt', async () => {
    const score = scoreFile(`version: 1
name: ctx
workspace: ws
instruments:
  sh: { kind: command, command: [bash, -c] }
sheets:
  - id: plan
    args: ["echo step one"]
  - id: review
    depends_on: [plan]
    args: ["cat > review.txt"]
    prompt: |
      Review, following:
      {{context}}
    context:
      deps: true
      files: ["notes/*.md"]
`);
    const ws = join(dirname(score), 'ws');
    mkdirSync(join(ws, 'notes'), { recursive: true });
    writeFileSync(join(ws, 'notes', 'n.md'), 'a note\n');
    const r = await baton(['run', score, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const expected = 'Review, following:\n==> sheet plan <==\nstep one\n\n==> file notes/n.md <==\na note\n\n';
    expect(readFileSync(join(ws, 'review.txt'), 'utf8')).toBe(expected);
    expect(readFileSync(join(ws, 'sheets', 'review', '1.prompt'), 'utf8')).toBe(expected);
  });

  it('validate names an unknown {{deps.ID.output}} and a context dependency that is not one, with exit status 2', async () => {
    const score = scoreFile(`version: 1
name: bad
instruments:
  sh: { kind: command, command: [bash, -c] }
sheets:
  - id: plan
  - id: review
    depends_on: [plan]
    args: ["{{deps.plna.output}}"]
    prompt: go
    context: { deps: [other] }
  - id: other
`);
    const r = await baton(['validate', score]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sheets[1].context.deps[0]: "other" is not a direct dependency of this sheet (add it to depends_on)');
    expect(r.stderr).toContain('sheets[1].args[0]: unknown template name "deps.plna.output": no sheet "plna"');
  });
});
