/** The agent CLI presets of docs/defaults.md are valid platform defaults that a score can use, output blocks included. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlatformDefaults, parseScore } from '../../src/index.js';

const DOC = readFileSync(resolve(import.meta.dirname, '../../docs/defaults.md'), 'utf8');

describe('docs/defaults.md: agent CLI presets', () => {
  it('parse as platform defaults, and a score runs each of them with a prompt', () => {
    const section = DOC.slice(DOC.indexOf('## Agent CLI presets'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml, 'a yaml block in the presets section').toBeDefined();
    expect(section).toMatch(/unverified examples/);
    const defaults = parsePlatformDefaults(yaml!, { sourcePath: '/etc/baton/defaults.yaml' });
    const names = ['claude', 'codex', 'gemini'];
    const sheets = names.map((name) => `  - { id: ${name}, instrument: ${name}, prompt: "Review the parser." }`).join('\n');
    const score = parseScore(`version: 1\nname: presets\ninstruments: {}\nsheets:\n${sheets}\n`, { baseDir: '/jobs', defaults });
    for (const name of names) expect(score.instruments[name], name).toMatchObject({ kind: 'command', promptVia: 'stdin', output: { format: expect.any(String) } });
  });
});
