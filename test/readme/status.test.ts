/**
 * README.md, "Status": `baton decide` works on the checkpoint while no process runs the job;
 * a running job takes its decisions through `conductor.decide` (test/runtime/conductor.test.ts,
 * 'holds the job at a fermata and continues after a decision').
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { baton, scoreFile, startBaton } from '../cli/run-cli.js';
import { removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { flat, readmeSection } from './readme.js';

const score = `version: 1
name: decide-while-running
workspace: ws
instruments:
  sh: { kind: command, command: [bash, -c] }
defaults: { instrument: sh, retries: 0 }
sheets:
  - { id: ask, args: ["exit 1"], escalate: true }
  - { id: slow, args: ["touch {{workspace}}/started; while [ ! -f {{workspace}}/go ]; do sleep 0.05; done"] }
`;

describe('README "Status"', () => {
  it('`baton decide` works on the checkpoint while no process runs the job, and is refused while one does', async () => {
    expect(flat(readmeSection('Status'))).toContain('`baton decide` works on the checkpoint while no process runs the job; a running job takes decisions through `conductor.decide`');
    const path = scoreFile(score);
    const workspace = join(dirname(path), 'ws');
    const run = startBaton(['run', path, '--quiet']);
    onTestFinished(async () => {
      // The slow sheet ends once `go` exists, and the run with it.
      if (existsSync(workspace)) writeFileSync(join(workspace, 'go'), '');
      await run.exited;
      removeDir(dirname(path));
    });
    await waitFor(async () => (existsSync(join(workspace, 'started')) && (await baton(['status', path])).stdout.includes('fermata 1') ? true : undefined));
    const refused = await baton(['decide', path, 'ask', 'accept']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`is already running in process ${run.pid}`);
    writeFileSync(join(workspace, 'go'), '');
    expect((await run.exited).code).toBe(3);
    const decided = await baton(['decide', path, 'ask', 'accept']);
    expect(decided.code).toBe(0);
    expect(decided.stdout).toContain('ask: fermata → completed');
  });
});
