import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { waitFor } from '../support/wait-for.js';

export { expectGroupGone, isAlive } from '../support/process-groups.js';

/** Waits until the attempt's stdout holds `lines` complete lines, and returns them. */
export async function stdoutLines(prefix: string, lines: number): Promise<string[]> {
  return waitFor(async () => {
    const text = await readFile(`${prefix}.stdout`, 'utf8').catch(() => '');
    const got = text.split('\n').filter((line) => line !== '');
    return text.endsWith('\n') && got.length >= lines ? got : undefined;
  });
}

/** The parent of process `pid`, from /proc (Linux). */
export function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
