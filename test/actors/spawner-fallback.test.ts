import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCommandInstrument } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { countingHooks, makeRequest } from './helpers.js';

const pools = vi.hoisted(() => ({ current: undefined as unknown }));

// Each test's instruments get a new pool whose helper exits before it is ready, as one would
// whose file a bundle left out.
vi.mock('../../src/actors/spawner/pool.js', async (importOriginal) => {
  const { SpawnerPool } = await importOriginal<typeof import('../../src/actors/spawner/pool.js')>();
  const broken = join(mkdtempSync(join(tmpdir(), 'baton-broken-helper-')), 'helper.mjs');
  writeFileSync(broken, 'process.exit(3);\n');
  return { SpawnerPool, sharedSpawnerPool: () => (pools.current ??= new SpawnerPool(1, { path: broken, execArgv: [] })) };
});

let dir: string;

beforeEach(() => {
  dir = makeTempDir('baton-actors-');
  pools.current = undefined;
});
afterEach(() => {
  removeDir(dir);
});

describe('a command instrument whose spawner helper cannot start', () => {
  it('runs its attempts from baton\'s own process, the first one included', async () => {
    const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'], spawner: 'helper' });
    for (const attempt of [1, 2]) {
      const hooks = countingHooks();
      const outcome = await sh.run(makeRequest(dir, { attempt, args: ['echo $PPID'] }), new AbortController().signal, hooks);
      expect(outcome).toMatchObject({ status: 'success', stdoutTail: `${process.pid}\n` });
      expect(hooks.started).toBe(1);
    }
  });

  it('does not start an attempt that was aborted while the helper was failing', async () => {
    const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'], spawner: 'helper' });
    const controller = new AbortController();
    const hooks = countingHooks();
    const request = makeRequest(dir, { args: ['echo ran > ran.txt'] });
    const running = sh.run(request, controller.signal, hooks);
    await Promise.resolve(); // the request has left for the helper
    controller.abort('cancelled');
    expect(await running).toEqual({ status: 'failure', error: 'aborted (cancelled)' });
    expect(hooks.started).toBe(0);
    expect(existsSync(join(request.workspace, 'ran.txt'))).toBe(false);
  });
});
