// One attempt's process, the same way wherever it is started (baton's own process or a
// spawner helper): its folders and output files, its spawn in its own process group, and
// what follows its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import { readTailOf } from '../process/output-tail.js';
import type { OutputFindings, OutputScanRules } from '../process/output-scan.js';
import { scanOutputFiles } from '../process/output-scan-file.js';
import { killGroupAndWait } from '../process/group.js';

/**
 * The attempt's two output files, open for writing (the child's) and reading (the tails and
 * the scan), and its prompt file open for reading when the prompt goes to its stdin.
 */
export type OutputHandles = [stdout: FileHandle, stderr: FileHandle, stdin?: FileHandle];

/** The sheet's rendered prompt, written to `file` beside the outputs; `stdin`: the program reads it there. */
export interface PromptInput {
  /** Absolute. */
  file: string;
  text: string;
  stdin: boolean;
}

/**
 * Makes the folders (recursively, so they may overlap), writes the prompt file, and opens
 * both output files ('w+': truncated, and readable, because the tails are read and the
 * streams scanned through the same handles). When one file fails, what was opened is closed
 * before the error is thrown.
 *
 * A prompt for stdin is given as the file itself, opened anew for reading: the program reads
 * it to its end as from a pipe that was written and closed, a program that never reads it
 * cannot fail on a broken pipe, and no write of a large prompt waits on the program.
 */
export async function prepareOutputs(
  folders: string[],
  stdoutFile: string,
  stderrFile: string,
  prompt?: PromptInput,
): Promise<OutputHandles> {
  await Promise.all(folders.map((folder) => mkdir(folder, { recursive: true })));
  const opened = await Promise.allSettled([open(stdoutFile, 'w+'), open(stderrFile, 'w+'), preparePrompt(prompt)]);
  const [out, err, input] = opened;
  if (out.status === 'fulfilled' && err.status === 'fulfilled' && input.status === 'fulfilled') {
    return input.value === undefined ? [out.value, err.value] : [out.value, err.value, input.value];
  }
  await closeQuietly(...opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined)));
  throw opened.find((o): o is PromiseRejectedResult => o.status === 'rejected')!.reason;
}

async function preparePrompt(prompt: PromptInput | undefined): Promise<FileHandle | undefined> {
  if (prompt === undefined) return undefined;
  await writeFile(prompt.file, prompt.text);
  return prompt.stdin ? open(prompt.file, 'r') : undefined;
}

/**
 * Spawns the program, without a shell, in its own process group (so that one signal to -pid
 * reaches every descendant), its output going to the files. Throws synchronously for
 * arguments `spawn` cannot take (a NUL byte) and unexpected errno values.
 */
export function spawnInGroup(
  file: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
  [stdout, stderr, stdin]: OutputHandles,
): ChildProcess {
  const input = stdin?.fd ?? 'ignore';
  return spawn(file, args, { cwd: options.cwd, env: options.env, stdio: [input, stdout.fd, stderr.fd], detached: true });
}

/** What is read of an attempt's output once it ended: the tails, and the whole streams scanned by the rules. */
export interface EndedOutput {
  stdoutTail: string;
  stderrTail: string;
  findings: OutputFindings;
}

/**
 * After the program exited: whatever it left running in its group ends with the attempt
 * (leftovers would outlive the sheet, escape the caps and keep writing to its files); only
 * then are the tails read and the streams scanned, so that they see everything that was written.
 */
export async function endOfAttempt(
  pid: number | undefined,
  handles: OutputHandles,
  groupExitWaitMs: number,
  rules: OutputScanRules | undefined,
): Promise<EndedOutput> {
  if (pid !== undefined) await killGroupAndWait(pid, groupExitWaitMs);
  const [stdoutTail, stderrTail, findings] = await Promise.all([
    readTailOf(handles[0]),
    readTailOf(handles[1]),
    scanOutputFiles({ stdout: handles[0], stderr: handles[1] }, rules),
  ]);
  return { stdoutTail, stderrTail, findings };
}

export async function closeQuietly(...handles: (FileHandle | undefined)[]): Promise<void> {
  await Promise.all(handles.flatMap((handle) => (handle === undefined ? [] : [handle.close().catch(() => {})])));
}
