import { describe, expect, it } from 'vitest';
import { parsePlatformDefaults, parseScore } from '../../src/index.js';
import { fingerprintOf, incompatibilities } from '../../src/runtime/durability/fingerprint.js';
import { score } from './helpers.js';

const text = score('  - id: a\n  - { id: b, fan_out: 2, depends_on: [a] }');
const load = (platform: string) =>
  parseScore(text, { baseDir: '/scores', defaults: parsePlatformDefaults(platform, { sourcePath: '/etc/baton/defaults.yaml' }) });

describe('resuming under changed platform defaults', () => {
  it('runs the new settings, like an edit of the score’s own defaults', () => {
    const before = load('retries: 0\nescalate: true\n');
    const after = load('retries: 5\non_dependency_failure: fail\n');
    expect(incompatibilities(fingerprintOf(before), after)).toEqual([]);
    expect(after.stages.map((s) => [s.retries, s.escalate, s.onDependencyFailure])).toEqual([
      [5, false, 'fail'],
      [5, false, 'fail'],
    ]);
    const edited = parseScore(score('  - id: a\n  - { id: b, fan_out: 2, depends_on: [a] }', 'defaults: { retries: 5, on_dependency_failure: fail }'), {
      baseDir: '/scores',
    });
    expect(fingerprintOf(after)).toEqual(fingerprintOf(edited));
  });
});
