import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { baton, scoreFile, startBaton, type Exit } from '../cli/run-cli.js';

/** `wait` runs until the test creates the `go` file: the job cannot end before a viewer has seen it. */
const SCORE = `version: 1
name: inspect-ws
workspace: ws
instruments:
  sh: { kind: command, command: [bash, -c] }
sheets:
  - { id: wait, timeout: 25s, args: ["while [ ! -e {{workspace}}/go ]; do sleep 0.05; done"] }
  - { id: after, depends_on: [wait], args: ["true"] }
`;

/** A Stately inspection message, as `@statelyai/inspect` sends them. */
interface StatelyMessage {
  type: string;
  name?: string;
  sessionId: string;
  snapshot?: { value?: unknown };
  event?: { type: string };
}

interface Started {
  url: Promise<string>;
  done: Promise<Exit>;
}

function start(args: string[]): Started {
  const run = startBaton(args);
  let announced: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => (announced = resolve));
  // Listens after startBaton's own listener, so that `run.stderr()` holds the chunk.
  run.child.stderr!.on('data', () => {
    const found = /inspection on (ws:\/\/127\.0\.0\.1:\d+)/.exec(run.stderr());
    if (found) announced(found[1]!);
  });
  void run.exited.then((r) => announced(`(exited ${r.code} before announcing: ${r.stderr})`));
  return { url, done: run.exited };
}

/** Connects a viewer and collects what it receives until the relay closes it. */
function view(url: string): { messages: StatelyMessage[]; until(check: (m: StatelyMessage[]) => boolean): Promise<void>; closed: Promise<number> } {
  const socket = new WebSocket(url);
  const messages: StatelyMessage[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString()) as StatelyMessage);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  return {
    messages,
    closed,
    until: async (check) => {
      while (!check(messages)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

const actorNamed = (messages: StatelyMessage[], suffix: string): StatelyMessage | undefined =>
  messages.find((m) => m.type === '@xstate.actor' && m.name?.endsWith(suffix));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function watchRun(args: string[], score: string): Promise<{ messages: StatelyMessage[]; result: Exit; url: string; closeCode: number }> {
  const run = start(args);
  const url = await run.url;
  expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
  const viewer = view(url);
  await viewer.until((m) => actorNamed(m, '/wait') !== undefined);
  writeFileSync(join(dirname(score), 'ws', 'go'), '');
  const result = await run.done;
  return { messages: viewer.messages, result, url, closeCode: await viewer.closed };
}

describe('--inspect-ws', () => {
  it('baton run relays inspection events naming every sheet to a WebSocket viewer on 127.0.0.1', async () => {
    const score = scoreFile(SCORE);
    const port = await freePort();
    const { messages, result, url, closeCode } = await watchRun(['run', score, '--quiet', '--inspect-ws', String(port)], score);
    expect(url).toBe(`ws://127.0.0.1:${port}`);
    expect(result.code).toBe(0);
    const wait = actorNamed(messages, '/wait')!;
    const after = actorNamed(messages, '/after')!;
    expect(after).toBeDefined();
    expect(wait.name!.split('/')[0]).toBe(after.name!.split('/')[0]);
    const states = (session: string): unknown[] =>
      messages.filter((m) => m.type === '@xstate.snapshot' && m.sessionId === session).map((m) => m.snapshot?.value);
    expect(states(wait.sessionId)).toEqual(expect.arrayContaining(['ready', 'dispatched', 'running', 'completed']));
    expect(states(after.sessionId).at(-1)).toBe('completed');
    expect(messages.some((m) => m.type === '@xstate.event' && m.sessionId === wait.sessionId && m.event?.type === 'DISPATCH')).toBe(true);
    expect(closeCode).toBe(1000);
  });

  it('baton inspect serves it too, with a page for the Stately inspector, while writing the records', async () => {
    const score = scoreFile(SCORE);
    const out = join(dirname(score), 'records.jsonl');
    const run = start(['inspect', score, '--out', out, '--inspect-ws', '0']);
    const url = await run.url;
    const page = await fetch(url.replace('ws://', 'http://') + '/');
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('https://stately.ai/inspect');
    const viewer = view(url);
    await viewer.until((m) => actorNamed(m, '/wait') !== undefined);
    writeFileSync(join(dirname(score), 'ws', 'go'), '');
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(actorNamed(viewer.messages, '/after')).toBeDefined();
    expect(result.stdout).toMatch(/inspection records in /);
  });

  it('exits 2 with a clear message when the port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const r = await baton(['run', scoreFile(SCORE), '--inspect-ws', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`baton: --inspect-ws ${port}: cannot listen on 127.0.0.1:${port} (listen EADDRINUSE: address already in use 127.0.0.1:${port})\n`);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
