import { open } from 'node:fs/promises';

/** The start of a file or a text, cut to a number of bytes without splitting a UTF-8 character. */
export interface Head {
  /** The content kept, decoded; invalid UTF-8 becomes replacement characters. */
  text: string;
  /** Bytes kept, and bytes there were in all. */
  kept: number;
  size: number;
  /** The kept bytes were not valid UTF-8. */
  invalidUtf8: boolean;
}

const STRICT = new TextDecoder('utf-8', { fatal: true });
const LENIENT = new TextDecoder('utf-8');
/** Bytes read past the cap: enough to know whether the cap falls inside a character. */
const LOOKAHEAD = 4;

/**
 * The first `cap` bytes of a file, read through a handle so that a huge file costs only what
 * is kept. Rejects when the file cannot be opened or read (missing, a folder, no permission).
 */
export async function readHead(path: string, cap: number): Promise<Head> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(cap, size) + LOOKAHEAD);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // A file that grew while it was read counts what was seen of it.
    return cut(buffer.subarray(0, filled), cap, Math.max(size, filled));
  } finally {
    await handle.close();
  }
}

/** The first `cap` bytes of a text. */
export function headOf(text: string, cap: number): Head {
  const bytes = Buffer.from(text, 'utf8');
  return cut(bytes, cap, bytes.length);
}

function cut(bytes: Buffer, cap: number, size: number): Head {
  let end = Math.min(cap, bytes.length);
  // A byte 10xxxxxx continues the character before it: a cut there would split that character.
  if (end < bytes.length) {
    const floor = Math.max(0, end - 3);
    while (end > floor && (bytes[end]! & 0xc0) === 0x80) end--;
  }
  const kept = bytes.subarray(0, end);
  let text: string;
  let invalidUtf8 = false;
  try {
    text = STRICT.decode(kept);
  } catch {
    invalidUtf8 = true;
    text = LENIENT.decode(kept);
  }
  return { text, kept: end, size, invalidUtf8 };
}
