import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton } from '../cli/run-cli.js';
import { makeTempDir } from '../support/temp-dir.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const SCORE = join(EXAMPLES, 'agent-review.yaml');
const PROFILE = join(EXAMPLES, 'agent-review.profile.yaml');

function profileFile(text: string): string {
  const file = join(makeTempDir('baton-sim-'), 'p.yaml');
  writeFileSync(file, text);
  return file;
}

describe('baton simulate', () => {
  it('prints the same prediction, byte for byte, for the same seed', async () => {
    const args = ['simulate', SCORE, '--profile', PROFILE, '--seed', '7'];
    const [first, second] = await Promise.all([baton(args), baton(args)]);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout).toContain('agent-review: 8 sheets, 20 runs, seed 7, concurrency 4');
    expect(first.stdout).toMatch(/^makespan +\S/m);
    expect(first.stdout).toContain('critical path of the median run');
  });

  it('prints JSON that reproduces too, and differs for another seed', async () => {
    const args = ['simulate', SCORE, '--profile', PROFILE, '--json', '--runs', '10', '--concurrency', '2'];
    const [first, again, other] = await Promise.all([baton(args), baton(args), baton([...args, '--seed', '2'])]);
    expect(first.code).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    const result = JSON.parse(first.stdout) as { runs: number; seed: number; concurrency: number; perRun: unknown[] };
    expect(result).toMatchObject({ runs: 10, seed: 1, concurrency: 2 });
    expect(result.perRun).toHaveLength(10);
    expect(other.stdout).not.toBe(first.stdout);
  });

  it('simulates the build fan-out example with its profile', async () => {
    const result = await baton(['simulate', join(EXAMPLES, 'build-fanout.yaml'), '--profile', join(EXAMPLES, 'build-fanout.profile.yaml'), '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ score: 'build-fanout', sheetCount: 11 });
  });

  it('exits 2 naming the file and path of a bad profile', async () => {
    const file = profileFile('instruments:\n  agnet: { latency: 1s }\n  agent: { latency: { uniform: [3s, 1s] } }\n');
    const result = await baton(['simulate', SCORE, '--profile', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([`${file}: instruments.agent.latency.uniform: expected [low, high]: the first value is above the second`]);
  });

  it('exits 2 for instruments the score does not have', async () => {
    const file = profileFile('default: { latency: 1s }\ninstruments:\n  agnet: { latency: 1s }\n');
    const result = await baton(['simulate', SCORE, '--profile', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`${file}: instruments.agnet: the score has no instrument "agnet" (its instruments: agent)\n`);
  });

  it('exits 2 for a missing profile file, a bad score, and bad flags', async () => {
    const [missing, noScore, noProfile, noRuns, badSeed] = await Promise.all([
      baton(['simulate', SCORE, '--profile', '/nonexistent.yaml']),
      baton(['simulate', '/nonexistent-score.yaml', '--profile', PROFILE]),
      baton(['simulate', SCORE]),
      baton(['simulate', SCORE, '--profile', PROFILE, '--runs', '0']),
      baton(['simulate', SCORE, '--profile', PROFILE, '--seed', 'x']),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('profile file not found: /nonexistent.yaml');
    expect(noScore.code).toBe(2);
    expect(noScore.stderr).toContain('score file not found');
    expect(noProfile.code).toBe(2);
    expect(noProfile.stderr).toContain("required option '--profile <file>'");
    expect(noRuns.code).toBe(2);
    expect(noRuns.stderr).toContain('expected a positive integer');
    expect(badSeed.code).toBe(2);
    expect(badSeed.stderr).toContain('expected an integer');
  });
});
