/**
 * README.md, "Beyond one process": the flags and defaults it names are the command's. The
 * behaviours it claims (a limit holding the others, failures adding up with one probe, the
 * shared cap, the freed slots of a killed process, going on alone when the backend is away)
 * are each run through separate `baton` processes in test/cluster/shared-policy-cli.test.ts,
 * and in one process in test/cluster/two-conductors.test.ts.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCoordinationPath } from '../../src/cluster/index.js';
import { DEFAULT_LEASE_MS } from '../../src/runtime/coordination/shared-policy.js';
import { baton } from '../cli/run-cli.js';
import { flat, readmeSection, ROOT } from './readme.js';

const section = flat(readmeSection('Beyond one process'));

describe('README "Beyond one process"', () => {
  it('names flags that `baton run` and `baton resume` take, and the lease default they use', async () => {
    for (const command of ['run', 'resume']) {
      const help = (await baton([command, '--help'])).stdout;
      expect(help).toContain('--coordinate <target>');
      expect(help).toContain('BATON_COORDINATION');
      expect(help).toContain('--coordinate-lease <duration>');
      expect(help).toContain('(default 10s)');
    }
    expect(section).toContain('(`--coordinate-lease`, 10s)');
    expect(DEFAULT_LEASE_MS).toBe(10_000);
    expect(section).toContain('`--coordinate sqlite:PATH` for the processes of one host');
    expect(section).toContain('`--coordinate redis://HOST:PORT` across hosts (with `npm install ioredis`)');
  });

  it('points at docs/cluster.md, whose default SQLite path is the one baton uses', () => {
    expect(section).toContain('[docs/cluster.md](docs/cluster.md)');
    expect(existsSync(join(ROOT, 'docs/cluster.md'))).toBe(true);
    expect(defaultCoordinationPath({})).toBe(join(homedir(), '.local/state/baton/coordination.db'));
    expect(defaultCoordinationPath({ XDG_STATE_HOME: '/state' })).toBe('/state/baton/coordination.db');
  });
});
