import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHEET_STATES, type InspectionRecord } from '../../src/index.js';
import { baton, scoreFile } from '../cli/run-cli.js';

const header = `version: 1
name: inspect-cli
instruments:
  sh: { kind: command, command: [bash, -c] }
`;

const GOOD = `${header}sheets:
  - { id: a, args: ["true"] }
  - { id: b, depends_on: [a], fan_out: 2, args: ["true"] }
`;

function parseLines(text: string): InspectionRecord[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as InspectionRecord);
}

function expectEverySheet(records: InspectionRecord[], sheets: string[]): void {
  const created = records.filter((r) => r.type === '@xstate.actor' && r.machine === 'sheet').map((r) => r.sheetId);
  expect(created.sort()).toEqual([...sheets].sort());
  for (const sheet of sheets) {
    const states = records.filter((r) => r.sheetId === sheet && r.type === '@xstate.snapshot').map((r) => r.state);
    expect(states.at(-1), sheet).toBe('completed');
  }
}

describe('baton inspect', () => {
  it('prints one JSON record per line on stdout, naming every sheet, and exits as run would', async () => {
    const r = await baton(['inspect', scoreFile(GOOD)]);
    expect(r.code).toBe(0);
    const records = parseLines(r.stdout);
    expect(records.map((x) => x.seq)).toEqual(records.map((_, i) => i + 1));
    expectEverySheet(records, ['a', 'b.1', 'b.2']);
    expect(records.some((x) => x.type === '@xstate.event' && x.sheetId === 'b.1' && x.event?.type === 'DISPATCH')).toBe(true);
    expect(r.stderr).toMatch(/^inspect-cli: completed in .*; \d+ inspection records\n$/);
  });

  it('with --out, writes the records to the file and only a final line to stdout', async () => {
    const score = scoreFile(GOOD);
    const out = join(dirname(score), 'records.jsonl');
    const r = await baton(['inspect', score, '--out', out]);
    expect(r.code).toBe(0);
    const records = parseLines(readFileSync(out, 'utf8'));
    expectEverySheet(records, ['a', 'b.1', 'b.2']);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^inspect-cli: completed in [\d.]+s — 3 completed, 0 failed, 0 skipped; /);
    expect(lines[0]!.endsWith(`; ${records.length} inspection records in ${out}`)).toBe(true);
  });

  it('keeps no checkpoint in the workspace', async () => {
    const score = scoreFile(GOOD);
    const r = await baton(['inspect', score]);
    expect(r.code).toBe(0);
    expect(existsSync(join(dirname(score), '.baton', 'inspect-cli', 'baton.db'))).toBe(false);
  });

  it('exits 1 when a sheet fails, with the failure in the records', async () => {
    const r = await baton(['inspect', scoreFile(`${header}defaults: { retries: 0 }\nsheets:\n  - { id: bad, args: ["exit 3"] }\n`)]);
    expect(r.code).toBe(1);
    const last = parseLines(r.stdout).filter((x) => x.sheetId === 'bad' && x.type === '@xstate.snapshot').at(-1)!;
    expect(last).toMatchObject({ state: 'failed', status: 'done', context: { reason: 'failed' } });
  });

  it('exits 2 on an invalid score, an unwritable --out, or a bad option', async () => {
    const invalid = await baton(['inspect', scoreFile(`${header}sheets:\n  - { id: a, depends_on: [nope], args: ["true"] }\n`)]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe('sheets[0].depends_on[0]: unknown sheet "nope"\n');
    const out = await baton(['inspect', scoreFile(GOOD), '--out', '/nonexistent-dir/records.jsonl']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^baton: --out \/nonexistent-dir\/records.jsonl: cannot write \(.*ENOENT.*\)\n$/);
    const concurrency = await baton(['inspect', scoreFile(GOOD), '--concurrency', '0']);
    expect(concurrency.code).toBe(2);
  });
});

describe('baton machines', () => {
  it('prints every machine as JSON by default; the sheet machine has all 12 states', async () => {
    const r = await baton(['machines']);
    expect(r.code).toBe(0);
    const all = JSON.parse(r.stdout) as Record<string, { id: string; states: Record<string, unknown> }>;
    expect(Object.keys(all)).toEqual(['sheet', 'conductor', 'breaker']);
    expect(Object.keys(all.sheet!.states).sort()).toEqual([...SHEET_STATES].sort());
    expect(Object.keys(all.breaker!.states)).toEqual(['closed', 'open', 'halfOpen']);
  });

  it('prints one machine as JSON', async () => {
    const r = await baton(['machines', '--machine', 'conductor', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'conductor', initial: 'conducting', states: { stopped: { type: 'final' } } });
  });

  it('prints a Mermaid state diagram with every sheet state and transition', async () => {
    const r = await baton(['machines', '--machine', 'sheet', '--format', 'mermaid']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('stateDiagram-v2\n  [*] --> pending\n')).toBe(true);
    for (const state of SHEET_STATES) expect(r.stdout).toMatch(new RegExp(`^  (${state} --> |\\w+ --> ${state} :)`, 'm'));
    expect(r.stdout).toContain('  running --> retry : SUCCEEDED, FAILED [attemptsLeft]\n');
    expect(r.stdout).toContain('  fermata --> completed : DECIDE [decided(accept)]\n');
  });

  it('prints every diagram as a Markdown page', async () => {
    const r = await baton(['machines', '--format', 'mermaid']);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^## (\w+)$/gm)).toEqual(['## sheet', '## conductor', '## breaker']);
    expect(r.stdout.match(/^```mermaid\nstateDiagram-v2$/gm)).toHaveLength(3);
  });

  it('rejects an unknown format or machine with exit 2', async () => {
    expect((await baton(['machines', '--format', 'xml'])).code).toBe(2);
    const r = await baton(['machines', '--machine', 'musician']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("argument 'musician' is invalid");
  });
});
