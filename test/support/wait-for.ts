export interface WaitForOptions {
  /** How long to sleep between two checks, in ms (real time). Default 10. */
  pollMs?: number;
}

/**
 * Polls `check` until it returns a value other than undefined, and resolves to that value.
 * Nothing bounds it but the test timeout: a wait is never an assertion.
 */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  { pollMs = 10 }: WaitForOptions = {},
): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
