/**
 * Keeps a closed output from stopping baton. A reader that leaves early (`baton run … |
 * head`, a terminal closed under a running job) makes every later write to stdout or
 * stderr fail with EPIPE, and an `error` event nobody listens to ends the process on the
 * spot: the job would stop half way with its checkpoint still saying `running`. With
 * these listeners the failed write is dropped, the job goes on to its end and its usual
 * exit status, and a read-only command ends as it would have.
 */
export function tolerateClosedOutput(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // The reader chose to stop reading; anything else (a full disk under `> file`) loses output the user asked for.
    if (error.code !== 'EPIPE') process.stderr.write(`baton: cannot write to stdout: ${error.message}\n`);
  });
  // Nowhere is left to say that stderr failed.
  process.stderr.on('error', () => undefined);
}
