/**
 * The error text of an attempt stopped by its abort signal: `aborted (timeout)` for the
 * runtime's string reasons (`timeout`, `cancelled`, `shutdown`), the message for an Error
 * reason, and plain `aborted` when no reason was given.
 */
export function abortedMessage(reason: unknown): string {
  if (typeof reason === 'string' && reason !== '') return `aborted (${reason})`;
  // `controller.abort()` with no argument gives a DOMException named AbortError: no extra information.
  if (reason instanceof Error && reason.name !== 'AbortError' && reason.message !== '') {
    return `aborted (${reason.message})`;
  }
  return 'aborted';
}
