/**
 * The spawner helper: a small, long-lived process that baton forks (Node IPC) to start its
 * attempts' programs. A spawn is synchronous, and fork() of baton's own large, busy process
 * is expensive (page tables, copy-on-write faults afterwards); here it blocks only this small
 * process, and the attempt's file work (folders, output files, tails, the scan of the whole
 * output) runs here too.
 *
 * It lives exactly as long as its channel: when baton goes away, so does the helper, and the
 * programs it started go on as they would have after baton's own death.
 */
import type { ChildProcess } from 'node:child_process';
import { closeQuietly, endOfAttempt, prepareOutputs, spawnInGroup, type OutputHandles } from './attempt-process.js';
import { errorInfo, isSpawnerRequest, type ReadyMessage, type SpawnerReply, type StartRequest } from './protocol.js';

/** Starts that have not reached `spawn` yet, by id: a `cancel` only matters to them. */
const pending = new Map<number, { cancelled: boolean }>();

process.on('message', (message: unknown) => {
  if (isSpawnerRequest(message)) {
    if (message.type === 'cancel') {
      const waiting = pending.get(message.id);
      if (waiting !== undefined) waiting.cancelled = true;
    } else {
      start(message).catch((err: unknown) => {
        process.stderr.write(`baton spawner helper: attempt ${message.id} failed unexpectedly: ${errorInfo(err).message}\n`);
      });
    }
    return;
  }
  // Only baton talks to this process; a start it cannot read still gets an answer, so that
  // no attempt waits forever.
  const id = (message as { id?: unknown } | null)?.id;
  if (typeof id === 'number' && Number.isInteger(id)) {
    send({ type: 'spawn-threw', id, error: { message: 'malformed start request' } });
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });

function send(message: SpawnerReply | ReadyMessage): void {
  // A message after baton went away has no reader; the 'disconnect' handler ends this process.
  if (process.connected) process.send?.(message);
}

async function start(request: StartRequest): Promise<void> {
  const { id } = request;
  const state = { cancelled: false };
  pending.set(id, state);
  let handles: OutputHandles;
  try {
    handles = await prepareOutputs(request.folders, request.stdoutFile, request.stderrFile, request.prompt);
  } catch (err) {
    pending.delete(id);
    send({ type: 'prepare-failed', id, error: errorInfo(err) });
    return;
  }
  if (state.cancelled) {
    pending.delete(id);
    await closeQuietly(...handles);
    send({ type: 'cancelled', id });
    return;
  }

  let child: ChildProcess;
  try {
    child = spawnInGroup(request.file, request.args, request, handles);
  } catch (err) {
    await closeQuietly(...handles);
    send({ type: 'spawn-threw', id, error: errorInfo(err) });
    return;
  } finally {
    // From here on baton stops the program itself, by signalling its group.
    pending.delete(id);
  }

  let spawned = false;
  let ended = false;
  child.once('spawn', () => {
    spawned = true;
    send({ type: 'spawned', id, pid: child.pid! });
  });
  child.on('error', (err) => {
    // After a successful spawn, errors (e.g. from signalling) are followed by 'exit'.
    if (spawned || ended) return;
    ended = true;
    void closeQuietly(...handles).then(() => send({ type: 'start-error', id, error: errorInfo(err) }));
  });
  child.once('exit', (code, signal) => {
    if (ended) return;
    ended = true;
    void endOfAttempt(child.pid, handles, request.groupExitWaitMs, request.scan)
      .finally(() => closeQuietly(...handles))
      .then((output) => send({ type: 'exit', id, code, signal, ...output }));
  });
}
