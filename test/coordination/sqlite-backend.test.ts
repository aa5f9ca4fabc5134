import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCoordination } from '../../src/coordination/sqlite-backend.js';
import { COORDINATION_SCHEMA_VERSION, SqliteCoordinationError } from '../../src/coordination/sqlite-schema.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { backendContract } from './backend-contract.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD = resolve(import.meta.dirname, 'fixtures/sqlite-child.ts');
const DAY_MS = 24 * 60 * 60 * 1000;

backendContract('SQLite', async () => {
  const dir = makeTempDir('baton-coordination-');
  const path = join(dir, 'coordination.db');
  const a = new SqliteCoordination(path);
  const b = new SqliteCoordination(path);
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      removeDir(dir);
    },
  };
});

let dir: string;
beforeEach(() => {
  dir = makeTempDir('baton-coordination-');
});
afterEach(() => {
  removeDir(dir);
});

describe('the SQLite coordination file', () => {
  it('is created with its folder, and named by its absolute path', async () => {
    const path = join(dir, 'a', 'b', 'coordination.db');
    const coordination = new SqliteCoordination(path);
    expect(coordination.target).toBe(`sqlite:${path}`);
    expect(await coordination.read()).toEqual({ limits: [], breakers: [], slots: [] });
    await coordination.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('refuses a file that is not SQLite, naming it, and leaves it as it was', () => {
    const path = join(dir, 'notes.txt');
    const text = 'not a database, just some text that happens to be long enough to look like a page\n'.repeat(20);
    writeFileSync(path, text);
    expect(() => new SqliteCoordination(path)).toThrow(SqliteCoordinationError);
    expect(() => new SqliteCoordination(path)).toThrow(`${path} is not a baton coordination file`);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('refuses a baton checkpoint, naming it and its tables, and leaves it as it was', () => {
    const path = join(dir, 'baton.db');
    new SqliteStore(path).close();
    const before = readFileSync(path);
    expect(() => new SqliteCoordination(path)).toThrow(`${path} is an SQLite database but not a baton coordination file (it has the tables `);
    expect(() => new SqliteCoordination(path)).toThrow(/attempts, job, lock, .*sheets/);
    expect(readFileSync(path).equals(before)).toBe(true);
    new SqliteStore(path, { create: false }).close();
  });

  it('refuses another program’s table named meta', () => {
    const columns = join(dir, 'columns.db');
    const keyValue = join(dir, 'key-value.db');
    let raw = new Database(columns);
    raw.exec('CREATE TABLE meta (name TEXT)');
    raw.close();
    raw = new Database(keyValue);
    raw.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('format', 'other-tool'), ('schema_version', '1')");
    raw.close();
    for (const path of [columns, keyValue]) {
      expect(() => new SqliteCoordination(path)).toThrow(`${path} is an SQLite database but not a baton coordination file (it has the tables meta)`);
    }
  });

  it('refuses a coordination file of a newer schema', async () => {
    const path = join(dir, 'coordination.db');
    await new SqliteCoordination(path).close();
    const raw = new Database(path);
    raw.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(COORDINATION_SCHEMA_VERSION + 1));
    raw.close();
    expect(() => new SqliteCoordination(path)).toThrow(`${path} is a coordination file of schema version ${COORDINATION_SCHEMA_VERSION + 1}`);
  });

  it('refuses a coordination file with a table missing', async () => {
    const path = join(dir, 'coordination.db');
    await new SqliteCoordination(path).close();
    const raw = new Database(path);
    raw.exec('DROP TABLE slots');
    raw.close();
    expect(() => new SqliteCoordination(path)).toThrow(`${path} is a damaged coordination file (the table slots missing)`);
  });

  it('rejects every call after close, naming the file', async () => {
    const path = join(dir, 'coordination.db');
    const coordination = new SqliteCoordination(path);
    await coordination.close();
    const calls = [
      coordination.read(),
      coordination.reportLimit('api', null, 1000),
      coordination.clearLimit('api', null),
      coordination.writeBreaker('api', 0, null),
      coordination.claimSlot('api', 'h', 1, 1000),
      coordination.renewSlots('api', ['h'], 1000),
      coordination.releaseSlot('api', 'h'),
    ];
    for (const call of calls) await expect(call).rejects.toThrow(`the coordination file ${path} was closed`);
    await expect(coordination.close()).resolves.toBeUndefined();
  });

  it('rejects a time that is not a finite number', async () => {
    const coordination = new SqliteCoordination(join(dir, 'coordination.db'));
    await expect(coordination.reportLimit('api', null, Number.NaN)).rejects.toThrow(RangeError);
    await expect(coordination.claimSlot('api', 'h', 1, Number.POSITIVE_INFINITY)).rejects.toThrow('leaseMs must be a finite number of ms, got Infinity');
    await expect(coordination.renewSlots('api', ['h'], Number.NaN)).rejects.toThrow(RangeError);
    expect(await coordination.read()).toEqual({ limits: [], breakers: [], slots: [] });
    await coordination.close();
  });

  it('rejects, never throws, when SQLite fails (here: another connection keeps the write lock)', async () => {
    const path = join(dir, 'coordination.db');
    const coordination = new SqliteCoordination(path, { busyTimeoutMs: 20 });
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    let claim: Promise<boolean> | undefined;
    expect(() => {
      claim = coordination.claimSlot('api', 'h', 1, 1000);
    }).not.toThrow();
    await expect(claim).rejects.toThrow(SqliteCoordinationError);
    await expect(coordination.reportLimit('api', null, 1000)).rejects.toThrow(`cannot report a rate limit in the coordination file ${path} (database is locked)`);
    // Reads go on beside the writer (WAL).
    expect((await coordination.read()).slots).toEqual([]);
    other.exec('ROLLBACK');
    other.close();
    expect(await coordination.claimSlot('api', 'h', 1, 1000)).toBe(true);
    await coordination.close();
  });

  it('forgets a breaker a day after its last write, or a day after it reopens if that is later', async () => {
    const path = join(dir, 'coordination.db');
    const coordination = new SqliteCoordination(path);
    const context = { failures: 2, baseCooldownMs: 1000, maxCooldownMs: 10_000, growth: 2, consecutiveFailures: 1, opens: 0, openedAt: null, reopenAt: null, cooldownMs: null, probeInFlight: false };
    const before = Date.now();
    await coordination.writeBreaker('closed', 0, { value: 'closed', context });
    await coordination.writeBreaker('open', 0, { value: 'open', context: { ...context, opens: 1, openedAt: 0, reopenAt: 2 * DAY_MS, cooldownMs: 2 * DAY_MS } });
    const after = Date.now();
    const raw = new Database(path);
    const expiry = (identity: string): number => raw.prepare<[string], number>('SELECT expires_at FROM breakers WHERE identity = ?').pluck().get(identity)!;
    expect(expiry('closed')).toBeGreaterThanOrEqual(before + DAY_MS);
    expect(expiry('closed')).toBeLessThanOrEqual(after + DAY_MS + 1);
    expect(expiry('open')).toBeGreaterThanOrEqual(before + 3 * DAY_MS);
    // As if the day had passed: no longer listed, and a writer that knows of none wins.
    raw.prepare("UPDATE breakers SET expires_at = ? WHERE identity = 'closed'").run(Date.now() - 1);
    raw.close();
    expect((await coordination.read()).breakers.map((b) => b.identity)).toEqual(['open']);
    expect(await coordination.writeBreaker('closed', 0, { value: 'closed', context })).toBe(true);
    await coordination.close();
  });
});

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** A child conductor (fixtures/sqlite-child.ts), and its stdout so far. */
function spawnChild(args: string[]): { child: Child; output: () => string; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = once(child, 'close').then(([code, signal]) => {
    if (code !== 0 && signal !== 'SIGKILL') throw new Error(`sqlite-child ${args[0]} exited with ${code ?? signal}: ${stderr}`);
  });
  return { child, output: () => stdout, exited };
}

/** Starts children, waits until each has opened the file, then lets them all go at once. */
async function race(argsOf: (i: number) => string[], count: number): Promise<string[]> {
  const children = Array.from({ length: count }, (_, i) => spawnChild(argsOf(i)));
  await Promise.all(children.map(({ output }) => waitFor(() => (output().includes('ready') ? true : undefined))));
  for (const { child } of children) child.stdin.end('go\n');
  await Promise.all(children.map(({ exited }) => exited));
  return children.map(({ output }) => output());
}

describe('SQLite coordination across processes', () => {
  let path: string;
  beforeEach(async () => {
    path = join(dir, 'coordination.db');
    // Created here, so that the children only ever open an existing file.
    await new SqliteCoordination(path).close();
  });

  it('never grants more than `limit` slots at once to racing processes', { timeout: 120_000 }, async () => {
    const log = join(dir, 'holds.log');
    writeFileSync(log, '');
    const rounds = 400;
    await race(() => ['race', path, log, String(rounds)], 4);

    // Each line was written while its process held the slot, so the log's order is an order
    // the holds really had: the holders it shows at once all held at once.
    const holding = new Set<string>();
    let most = 0;
    let holds = 0;
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
      const holder = line.slice(1);
      if (line.startsWith('+')) {
        expect(holding.has(holder)).toBe(false);
        holding.add(holder);
        holds++;
      } else {
        expect(holding.delete(holder)).toBe(true);
      }
      most = Math.max(most, holding.size);
    }
    expect(holds).toBe(4 * rounds);
    expect(holding.size).toBe(0);
    expect(most).toBeLessThanOrEqual(3);
    // They did race: some holds overlapped.
    expect(most).toBeGreaterThanOrEqual(2);
    const coordination = new SqliteCoordination(path);
    expect((await coordination.read()).slots).toEqual([]);
    await coordination.close();
  });

  it('keeps the later end of the rate limits that racing processes report', { timeout: 120_000 }, async () => {
    const longest = 400_000;
    // Each child first reports its longest limit, then many shorter ones: a last-writer-wins
    // backend would end up with one of those.
    const outputs = await race((i) => ['limits', path, String(longest - i * 10_000), '30'], 4);
    for (const output of outputs) {
      for (const line of output.trim().split('\n').slice(1)) {
        const { asked, got } = JSON.parse(line) as { asked: number; got: number };
        expect(got).toBeGreaterThanOrEqual(asked);
      }
    }
    const coordination = new SqliteCoordination(path);
    const { limits } = await coordination.read();
    expect(limits).toHaveLength(1);
    expect(limits[0]!.remainingMs).toBeLessThanOrEqual(longest);
    // Longer than any of the shorter reports (at most half the longest), for some minutes yet.
    expect(limits[0]!.remainingMs).toBeGreaterThan(longest / 2 + 1000);
    await coordination.close();
  });

  it('frees the slot of a killed process once its lease has run out', { timeout: 60_000 }, async () => {
    const { child, output, exited } = spawnChild(['hold', path, '500']);
    await waitFor(() => (output().includes('held') ? true : undefined));
    const coordination = new SqliteCoordination(path);
    // Alive, it renews its lease: the one slot stays its own.
    expect(await coordination.claimSlot('api', 'next', 1, 10_000)).toBe(false);
    expect((await coordination.read()).slots[0]!.holders.map((h) => h.holder)).toEqual([String(child.pid)]);
    child.kill('SIGKILL');
    await exited;
    await waitFor(async () => ((await coordination.claimSlot('api', 'next', 1, 10_000)) ? true : undefined), { pollMs: 50 });
    expect((await coordination.read()).slots[0]!.holders.map((h) => h.holder)).toEqual(['next']);
    await coordination.close();
  });
});
