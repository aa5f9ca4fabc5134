/**
 * Integration: what an attempt leaves behind when its leader exits on its own (no abort).
 * The whole process group ends with the attempt, so nothing outlives a sheet, runs next to
 * its retry, or survives the conductor.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineScore, type Conductor } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { expectGroupGone, killGroupQuietly, QUICK_BACKOFF, readPgid, startConductor } from './helpers.js';

let dir: string;
let conductor: Conductor;
const groups: number[] = [];

beforeEach(() => {
  dir = makeTempDir('baton-it-');
  ({ conductor } = startConductor());
});

afterEach(async () => {
  await conductor.shutdown();
  for (const pgid of groups.splice(0)) killGroupQuietly(pgid);
  removeDir(dir);
});

function pgidsIn(file: string): number[] {
  const pgids = readFileSync(join(dir, file), 'utf8').trim().split('\n').map(Number);
  groups.push(...pgids);
  return pgids;
}

describe('integration: processes left behind by an attempt that exited on its own', () => {
  it('none of a completed attempt\'s group survives the end of the job', async () => {
    const score = defineScore({
      version: 1,
      name: 'leftover-success',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      sheets: [{ id: 'a', retries: 0, args: ['sleep 300 & echo $$ > {{workspace}}/pgid; exit 0'] }],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);
    expect(result.outcome).toBe('completed');
    const pgid = await readPgid(join(dir, 'pgid'));
    groups.push(pgid);

    await expectGroupGone(pgid);
  });

  it('a failed attempt\'s background processes are gone before its retry starts', async () => {
    const score = defineScore({
      version: 1,
      name: 'leftover-retry',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { backoff: QUICK_BACKOFF },
      sheets: [
        {
          id: 'a',
          retries: 1,
          // Attempt 1 leaves a sleeper and fails; attempt 2 fails if that sleeper still runs
          // (a zombie waiting for its reaper counts as gone).
          args: [
            'echo $$ >> {{workspace}}/pgids; ' +
              'if [ {{sheet.attempt}} -eq 1 ]; then sleep 300 & echo $! > {{workspace}}/sleeper; exit 1; fi; ' +
              'state=$(cut -d" " -f3 /proc/$(cat {{workspace}}/sleeper)/stat 2>/dev/null); ' +
              '[ -z "$state" ] || [ "$state" = Z ]',
          ],
        },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);
    const pgids = pgidsIn('pgids');
    expect(pgids).toHaveLength(2);

    expect(result.outcome).toBe('completed');
  });
});
