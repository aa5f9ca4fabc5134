/**
 * README.md, "A score": its example score, the examples/ it points at, and the load-time
 * problems it shows. One argv element per template is backed by test/cli/cli.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton } from '../cli/run-cli.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { copiedExamples, runExample } from './examples.js';
import { flat, readmeSection } from './readme.js';

const section = readmeSection('A score');

describe('README "A score"', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) removeDir(dir);
  });

  function folder(): string {
    const dir = makeTempDir('baton-readme-score-');
    dirs.push(dir);
    return dir;
  }

  it('the example score is valid: five sheets, analyze a fan-out of three (analyze.1, analyze.2, analyze.3)', async () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const path = join(folder(), 'build.yaml');
    writeFileSync(path, yaml);
    const valid = await baton(['validate', path]);
    expect(valid).toMatchObject({ code: 0, stdout: 'build: valid (5 sheets, 1 instrument)\n' });
    const member = await baton(['validate', path, '--explain', 'analyze.2']);
    expect(member.code).toBe(0);
    expect(member.stdout).toMatch(/^build: analyze\.2 \(member 2 of fan-out analyze, sheets\[1\]\)\n/);
    const explained = await baton(['validate', path, '--explain', 'analyze']);
    expect(explained.stdout).toMatch(/^build: analyze \(fan-out of 3, every member alike, sheets\[1\]\)\n/);
    expect((await baton(['validate', path, '--explain', 'analyze.3'])).code).toBe(0);
    expect((await baton(['validate', path, '--explain', 'analyze.4'])).code).toBe(2);
  });

  it('examples/ has three scores that run as they are: build-fanout.yaml, agent-review.yaml, function-pipeline.yaml', async () => {
    expect(flat(section)).toContain('`examples/` has three scores that run as they are: `build-fanout.yaml` (a shell build/test DAG), `agent-review.yaml`');
    const dir = copiedExamples();
    dirs.push(dir);
    // agent-review, whose fake CLI fails at random, runs in test/readme/introduction.test.ts.
    for (const name of ['build-fanout', 'function-pipeline']) {
      const r = await runExample(dir, name);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect((JSON.parse(r.stdout) as { outcome: string }).outcome).toBe('completed');
    }
  });

  it('an unknown dependency and a cycle are errors at load time, one line per problem, naming its path, as the README shows', async () => {
    const shown = /```\n\$ npx baton validate bad\.yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = folder();
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        'version: 1',
        'name: bad',
        'instruments:',
        '  sh: { kind: command, command: [bash, -c] }',
        'sheets:',
        '  - { id: fetch, args: ["true"] }',
        '  - { id: a, depends_on: [b], args: ["true"] }',
        '  - { id: b, depends_on: [fetchh, a], args: ["true"] }',
        '',
      ].join('\n'),
    );
    const r = await baton(['validate', 'bad.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(shown);
  });

  it('an unknown template name and a duplicate id are errors at load time too, each naming its path', async () => {
    const dir = folder();
    writeFileSync(
      join(dir, 'bad.yaml'),
      'version: 1\nname: bad\ninstruments:\n  sh: { kind: command, command: [bash, -c] }\nsheets:\n  - { id: a, args: ["{{nope}}"] }\n  - { id: a, args: ["true"] }\n',
    );
    const r = await baton(['validate', 'bad.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sheets\[1\]\.id: duplicate id "a" \(also sheets\[0\]\)$/m);
    expect(r.stderr).toMatch(/^sheets\[0\]\.args\[0\]: unknown template name "nope"/m);
  });
});
