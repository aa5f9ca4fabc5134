/**
 * Shared policy state between conductors as users run them: each conductor a `baton run`
 * process of its own, with its own score in its own folder, on one real SQLite file or one
 * real redis-server. Attempts append their start and end (wall clock) to one log, which is
 * what the assertions read.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { baton, startBaton, type BatonProcess, type Exit } from '../cli/run-cli.js';
import { isAlive } from '../support/process-groups.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { cleanUp, track, trackHelpersOf, trackLog, unfinishedAttempts } from './leftovers.js';
import { maxOverlap, readLog, writeSharedScore, type LogLine, type SharedScore } from './shared-runs.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the conductors of one test share their state: a `--coordinate` value. */
interface Backend {
  readonly name: string;
  /** Once per describe block. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A target for one test; on Redis every test shares the server, and keeps apart by `shared_as`. */
  target(): string;
}

const roots: string[] = [];

/** A fresh folder for one test's log, scores and coordination file. */
function testRoot(): string {
  const root = makeTempDir('baton-shared-cli-');
  roots.push(root);
  return root;
}

function sqliteBackend(): Backend {
  return {
    name: 'one SQLite file',
    start: async () => undefined,
    stop: async () => undefined,
    target: () => `sqlite:${join(testRoot(), 'coordination.db')}`,
  };
}

function redisBackend(): Backend {
  let redis: RedisServer | undefined;
  return {
    name: 'one redis-server',
    async start() {
      redis = await startRedis();
    },
    async stop() {
      await redis?.stop();
    },
    target: () => redis!.url,
  };
}

let identities = 0;
/** A `shared_as` no other test uses: on one Redis, tests must not see each other's state. */
const freshIdentity = (what: string): string => `${what}-${++identities}`;

/** One test's folder: the shared log, and a folder per score. */
function runFolder(): { root: string; log: string; scoreIn(name: string, score: Omit<SharedScore, 'name' | 'dir' | 'log'>): string } {
  const root = testRoot();
  const log = join(root, 'attempts.log');
  trackLog(log);
  return {
    root,
    log,
    scoreIn(name, score) {
      const dir = join(root, name);
      mkdirSync(dir);
      return writeSharedScore({ name, dir, log, ...score });
    },
  };
}

/**
 * Starts `baton run SCORE` in the score's folder, with `--coordinate target` when one is
 * given; BATON_COORDINATION is unset unless `env` sets it, so a run without a target is a
 * run of its own.
 */
function conduct(score: string, target: string | undefined, extra: string[] = [], env: Record<string, string> = {}): BatonProcess {
  const args = ['run', score, ...(target === undefined ? [] : ['--coordinate', target]), ...extra];
  return track(startBaton(args, { cwd: join(score, '..'), env: { BATON_COORDINATION: undefined, ...env } }));
}

async function bothExit(runs: BatonProcess[]): Promise<Exit[]> {
  return Promise.all(runs.map((run) => run.exited));
}

const starts = (lines: readonly LogLine[]): LogLine[] => lines.filter((line) => line.what === 'start');
const count = (text: string, part: string): number => text.split(part).length - 1;

interface Attempt {
  tag: string;
  pid: number;
  start: number;
  /** When it wrote its last line (end, failed, limited); undefined while it runs. */
  end?: number;
  what?: LogLine['what'];
}

/** The log as attempts: a start line and the last line of the same process. */
function attempts(lines: readonly LogLine[]): Attempt[] {
  const byPid = new Map<number, Attempt>();
  for (const line of lines) {
    if (line.what === 'start') byPid.set(line.pid, { tag: line.tag, pid: line.pid, start: line.at });
    else {
      const attempt = byPid.get(line.pid);
      if (attempt !== undefined) Object.assign(attempt, { end: line.at, what: line.what });
    }
  }
  return [...byPid.values()].sort((a, b) => a.start - b.start);
}

interface JsonSheet {
  id: string;
  state: string;
  attempts: number;
  rateLimited: number;
}

function sheetsOf(exit: Exit): JsonSheet[] {
  return (JSON.parse(exit.stdout) as { sheets: JsonSheet[] }).sheets;
}

afterEach(() => {
  cleanUp();
  for (const root of roots.splice(0)) removeDir(root);
});

/** Two scores of `sheets` sheets each on one identity with a shared cap of 2, run at once; the log's lines. */
async function capRun(target: string | undefined): Promise<{ exits: Exit[]; lines: LogLine[] }> {
  const run = runFolder();
  const sharedAs = freshIdentity('cap');
  const scores = ['a', 'b'].map((name) => run.scoreIn(name, { sheets: 6, sleepMs: 300, concurrency: 4, sharedConcurrency: 2, sharedAs }));
  const exits = await bothExit(scores.map((score) => conduct(score, target)));
  return { exits, lines: readLog(run.log) };
}

/**
 * Two conductors, one sheet each, retrying while the API fails; the API recovers once every
 * conductor has stopped sending it anything (their breakers are open). The log's lines.
 */
async function breakerRun(target: string | undefined): Promise<{ exits: Exit[]; lines: LogLine[] }> {
  const run = runFolder();
  const modeFile = join(run.root, 'mode');
  writeFileSync(modeFile, 'fail');
  const sharedAs = freshIdentity('breaker');
  const score = { sheets: 1, sleepMs: 100, concurrency: 1, retries: 40, backoff: '100ms', modeFile, sharedAs, breaker: { failures: 4, cooldown: '2s' } };
  const runs = ['a', 'b'].map((name) => conduct(run.scoreIn(name, score), target));
  // Open breakers show as silence: failures, none running, and no start for a while (well
  // above the 100 ms backoff between attempts, well below the 2 s cool-down).
  await waitFor(
    () => {
      const lines = readLog(run.log);
      const failed = lines.filter((line) => line.what === 'failed').length;
      const last = Math.max(...lines.map((line) => line.at));
      return failed >= 4 && unfinishedAttempts(run.log).length === 0 && Date.now() - last > 800 ? true : undefined;
    },
    { pollMs: 20 },
  );
  writeFileSync(modeFile, 'ok');
  const exits = await bothExit(runs);
  return { exits, lines: readLog(run.log) };
}

describe('without --coordinate (what the tests below would see without sharing)', () => {
  it('two conductors on one shared_as run more than its shared_concurrency at once', async () => {
    const { exits, lines } = await capRun(undefined);
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);
    expect(maxOverlap(lines)).toBeGreaterThan(2);
  }, 30_000);

  it('each conductor needs failures of its own to open its breaker', async () => {
    const { exits, lines } = await breakerRun(undefined);
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);
    expect(lines.filter((line) => line.what === 'failed').length).toBeGreaterThan(5);
  }, 60_000);
});

describe.each([sqliteBackend(), redisBackend()])('baton run processes sharing policy state through $name', (backend) => {
  beforeAll(() => backend.start(), 20_000);
  afterAll(() => backend.stop());

  it('run at most shared_concurrency attempts of one identity at once, all of them', async () => {
    const { exits, lines } = await capRun(backend.target());
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);
    expect(starts(lines)).toHaveLength(12);
    expect(lines.filter((line) => line.what === 'end')).toHaveLength(12);
    expect(maxOverlap(lines)).toBeLessThanOrEqual(2);
  }, 30_000);

  it('hold a conductor that starts late to the rate limit another reported, without spending its attempts', async () => {
    const run = runFolder();
    const target = backend.target();
    const sharedAs = freshIdentity('limit');
    const modeFile = join(run.root, 'mode');
    writeFileSync(modeFile, 'limit 3');
    const first = conduct(run.scoreIn('a', { sheets: 1, sleepMs: 100, retries: 2, modeFile, sharedAs }), target);
    const limitedAt = await waitFor(() => readLog(run.log).find((line) => line.what === 'limited')?.at);
    await sleep(1_200);
    // The second names the backend through the environment, as a cluster's hosts would.
    const second = conduct(run.scoreIn('b', { sheets: 3, sleepMs: 100, sharedAs }), undefined, ['--json'], { BATON_COORDINATION: target });
    const [a, b] = await bothExit([first, second]);
    expect(a!.code).toBe(0);
    expect(b!.code, b!.stderr).toBe(0);
    const secondStarts = starts(readLog(run.log)).filter((line) => line.tag.startsWith('b-'));
    expect(secondStarts).toHaveLength(3);
    // The limit runs from when A's conductor read the attempt's output, after the line; 50 ms
    // is the rounding the conductors allow between their clocks and the backend's.
    expect(Math.min(...secondStarts.map((line) => line.at))).toBeGreaterThanOrEqual(limitedAt + 3_000 - 50);
    expect(sheetsOf(b!).map(({ state, attempts, rateLimited }) => ({ state, attempts, rateLimited }))).toEqual(
      Array.from({ length: 3 }, () => ({ state: 'completed', attempts: 1, rateLimited: 0 })),
    );
  }, 30_000);

  it('add up failures into one breaker, and let one probe through across them', async () => {
    const { exits, lines } = await breakerRun(backend.target());
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);
    // Alone each conductor needs 4 failures; together 4, and the one in flight when it opened.
    const all = attempts(lines);
    const failures = all.filter((attempt) => attempt.what === 'failed');
    expect(failures.length).toBeLessThanOrEqual(5);
    // After the last failure: the first attempt is the probe, and only once it ended did another start.
    const lastFailure = Math.max(...failures.map((attempt) => attempt.end!));
    const [probe, ...others] = all.filter((attempt) => attempt.start > lastFailure);
    expect(probe?.what).toBe('end');
    expect(others.length).toBeGreaterThanOrEqual(1);
    for (const other of others) expect(other.start).toBeGreaterThanOrEqual(probe!.end!);
    // The probe's verdict and its slot reach the backend before its conductor exits: the
    // other goes on at its next read, not once the slot's 10 s lease runs out.
    expect(others[0]!.start - probe!.end!).toBeLessThan(5_000);
  }, 30_000);

  it('free the shared slots of a conductor killed with SIGKILL within the lease', async () => {
    const run = runFolder();
    const target = backend.target();
    const sharedAs = freshIdentity('killed');
    const lease = ['--coordinate-lease', '1s'];
    const first = conduct(run.scoreIn('a', { sheets: 2, sleepMs: 20_000, sharedConcurrency: 2, sharedAs }), target, lease);
    await waitFor(() => (starts(readLog(run.log)).length === 2 ? true : undefined));
    trackHelpersOf(first.pid);
    const orphans = unfinishedAttempts(run.log);
    process.kill(first.pid, 'SIGKILL');
    const killedAt = Date.now();
    const second = conduct(run.scoreIn('b', { sheets: 2, sleepMs: 100, sharedConcurrency: 2, sharedAs }), target, lease);
    const exit = await second.exited;
    const doneAt = Date.now();
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(exit.code, exit.stderr).toBe(0);
    expect(doneAt - killedAt).toBeLessThan(10_000);
    // The killed conductor's attempts still run: the slots came free by the lease, not by their end.
    expect(orphans.filter((pid) => isAlive(pid))).toEqual(orphans);
    const secondFirst = Math.min(...starts(readLog(run.log)).filter((line) => line.tag.startsWith('b-')).map((line) => line.at));
    console.log(`[${backend.name}] after kill -9 of a conductor holding both slots (lease 1s), the other's first attempt started ${secondFirst - killedAt} ms later; it finished ${doneAt - killedAt} ms after the kill`);
  }, 30_000);
});

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free TCP port');
  return address.port;
}

describe('baton run processes on a Redis that goes away', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  }, 20_000);
  afterAll(() => redis.stop());

  it('go on through a stop and a start of redis-server, each sheet run once, warning once per outage', async () => {
    const run = runFolder();
    const sharedAs = freshIdentity('outage');
    // One at a time per conductor: the work outlasts the outage, so both see Redis come back.
    const score = { sheets: 12, sleepMs: 200, concurrency: 1, sharedConcurrency: 2, sharedAs };
    const runs = ['a', 'b'].map((name) => conduct(run.scoreIn(name, score), redis.url));
    await waitFor(() => (readLog(run.log).filter((line) => line.what === 'end').length >= 2 ? true : undefined));
    await redis.stop();
    await sleep(1_500);
    await redis.restart();
    expect(runs.every((conductor) => conductor.child.exitCode === null)).toBe(true);
    const exits = await bothExit(runs);
    for (const exit of exits) {
      expect(exit.code, exit.stderr).toBe(0);
      expect(count(exit.stderr, 'is unreachable'), exit.stderr).toBe(1);
      expect(count(exit.stderr, 'answers again'), exit.stderr).toBeGreaterThanOrEqual(1);
    }
    const tags = starts(readLog(run.log)).map((line) => line.tag);
    const expected = ['a', 'b'].flatMap((name) => Array.from({ length: 12 }, (_, i) => `${name}-${i + 1}`));
    expect(tags.sort()).toEqual(expected.sort());
    expect(readLog(run.log).filter((line) => line.what === 'end')).toHaveLength(24);
  }, 60_000);

  it('run the score on their own state when nothing listens at the Redis URL, warning once', async () => {
    const run = runFolder();
    const url = `redis://127.0.0.1:${await unusedPort()}`;
    const exit = await conduct(run.scoreIn('a', { sheets: 3, sleepMs: 100, sharedConcurrency: 2, sharedAs: freshIdentity('nowhere') }), url).exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(count(exit.stderr, 'is unreachable'), exit.stderr).toBe(1);
    expect(exit.stderr).toContain(url.replace('redis://', ''));
    expect(readLog(run.log).filter((line) => line.what === 'end')).toHaveLength(3);
  }, 30_000);
});

describe('baton run --coordinate with a target it cannot use', () => {
  it('exits 2 naming a value that is no target', async () => {
    const run = runFolder();
    const score = run.scoreIn('a', { sheets: 1, sleepMs: 10 });
    const exit = await baton(['run', score, '--coordinate', 'nonsense'], { cwd: run.root, env: { BATON_COORDINATION: undefined } });
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('nonsense');
    expect(readLog(run.log)).toEqual([]);
  });

  it('exits 2 naming a file that is not a coordination file, and leaves it as it was', async () => {
    const run = runFolder();
    const score = run.scoreIn('a', { sheets: 1, sleepMs: 10 });
    const file = join(run.root, 'notes.txt');
    const text = `${Array.from({ length: 200 }, (_, i) => `line ${i} ${Math.random().toString(36)}`).join('\n')}\n`;
    writeFileSync(file, text);
    const exit = await baton(['run', score, '--coordinate', `sqlite:${file}`], { cwd: run.root, env: { BATON_COORDINATION: undefined } });
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(readLog(run.log)).toEqual([]);
  });
});
