/**
 * The longest single argument Linux passes to a program: MAX_ARG_STRLEN, 32 pages of 4 KiB,
 * its terminating NUL included. A longer one makes the exec fail with E2BIG whatever the
 * total size of argv. (Kernels with larger pages allow more; 128 KiB is the common floor.)
 */
export const MAX_ARG_BYTES = 128 * 1024;

/**
 * Why `prompt` cannot be one argv element, or undefined when it can. Measured in bytes, as
 * the kernel counts them (UTF-8, plus the NUL); other systems cap only argv as a whole,
 * which the exec itself reports.
 */
export function argumentTooLong(prompt: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform !== 'linux') return undefined;
  const bytes = Buffer.byteLength(prompt, 'utf8');
  if (bytes + 1 <= MAX_ARG_BYTES) return undefined;
  return (
    `the prompt is ${bytes} bytes, longer than one argument may be (Linux caps one at ${MAX_ARG_BYTES / 1024} KiB, ` +
    `MAX_ARG_STRLEN): it cannot be given with prompt_via: arg; use prompt_via: stdin (or file)`
  );
}
