import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `baton` binary as a user would, without a TTY. */
export function baton(args: string[], options: { cwd?: string; signalAfterMs?: number } = {}): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Writes a score into a fresh folder and returns its path. */
export function scoreFile(text: string, name = 'score.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-cli-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
