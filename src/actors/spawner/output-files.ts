import { open, type FileHandle } from 'node:fs/promises';

/**
 * Opens an attempt's two output files ('w+': truncated, and readable, because the tails are
 * read through the same handles). When one fails, the other is closed before the error is thrown.
 */
export async function openOutputs(stdoutFile: string, stderrFile: string): Promise<[FileHandle, FileHandle]> {
  const [out, err] = await Promise.allSettled([open(stdoutFile, 'w+'), open(stderrFile, 'w+')]);
  if (out.status === 'fulfilled' && err.status === 'fulfilled') return [out.value, err.value];
  await closeQuietly(out.status === 'fulfilled' ? out.value : undefined, err.status === 'fulfilled' ? err.value : undefined);
  throw out.status === 'rejected' ? out.reason : (err as PromiseRejectedResult).reason;
}

export async function closeQuietly(...handles: (FileHandle | undefined)[]): Promise<void> {
  await Promise.all(handles.map((handle) => handle?.close().catch(() => {})));
}
