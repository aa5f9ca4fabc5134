import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir } from '../support/temp-dir.js';

export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');

/** What a finished `baton` printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** As `CliResult`, with the signal that ended the process, if one did. */
export interface Exit extends CliResult {
  signal: NodeJS.Signals | null;
}

export interface BatonProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once the process exited and its output streams closed. */
  readonly exited: Promise<Exit>;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
}

export interface BatonOptions {
  cwd?: string;
  /** Changes to this process's environment: a variable set to undefined is removed. */
  env?: Record<string, string | undefined>;
}

/** This process's environment with `changes` applied. */
function environment(changes: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Starts the built `baton` binary (`node dist/cli/main.js ...args`) as a user would, without a TTY. */
export function startBaton(args: string[], options: BatonOptions = {}): BatonProcess {
  const env = options.env === undefined ? undefined : environment(options.env);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<Exit>((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
  if (child.pid === undefined) throw new Error('baton did not start');
  return { child, pid: child.pid, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Runs `baton ...args` to its end. */
export async function baton(args: string[], options: BatonOptions = {}): Promise<CliResult> {
  const { code, stdout, stderr } = await startBaton(args, options).exited;
  return { code, stdout, stderr };
}

/** Writes a score into a fresh folder and returns its path. */
export function scoreFile(text: string, name = 'score.yaml'): string {
  const dir = makeTempDir('baton-cli-');
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
