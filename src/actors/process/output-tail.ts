import { open, type FileHandle } from 'node:fs/promises';

/** How many bytes of a captured stream an outcome carries; the whole stream stays in its file. */
export const OUTPUT_TAIL_BYTES = 8 * 1024;

const decoder = new TextDecoder('utf-8');

/**
 * The last `maxBytes` bytes of a file, decoded as UTF-8. A multibyte character cut in half at
 * the start of the window is dropped rather than shown as a replacement character. A missing or
 * unreadable file reads as `''`: a tail is a convenience, never a reason to fail.
 */
export async function readTail(path: string, maxBytes: number = OUTPUT_TAIL_BYTES): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    return await readTailOf(handle, maxBytes);
  } finally {
    await handle.close().catch(() => {});
  }
}

/** `readTail` of a file already open for reading; the handle stays open. */
export async function readTailOf(handle: FileHandle, maxBytes: number = OUTPUT_TAIL_BYTES): Promise<string> {
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    if (length <= 0) return '';
    const position = size - length;
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    let start = 0;
    if (position > 0) {
      // Skip UTF-8 continuation bytes (10xxxxxx) left over from a character that began before the window.
      while (start < bytesRead && start < 3 && (buffer[start]! & 0xc0) === 0x80) start++;
    }
    return decoder.decode(buffer.subarray(start, bytesRead));
  } catch {
    return '';
  }
}

/** The last line of `text` that is not blank, trimmed and cut to `maxChars` (with an ellipsis). */
export function lastNonEmptyLine(text: string, maxChars = 200): string | undefined {
  let end = text.length;
  while (end > 0) {
    const newline = text.lastIndexOf('\n', end - 1);
    const line = text.slice(newline + 1, end).trim();
    if (line !== '') {
      return line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line;
    }
    end = newline < 0 ? 0 : newline;
  }
  return undefined;
}
