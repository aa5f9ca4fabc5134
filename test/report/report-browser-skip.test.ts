/**
 * The browser test of `baton report` never skips silently: run without Chromium, it is
 * reported as skipped with the reason in its name and a warning; on CI it fails instead.
 * Runs vitest itself on that file, with Chromium looked for where it is not.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const VITEST = join(ROOT, 'node_modules/.bin/vitest');
const NOWHERE = '/nonexistent/chromium';

/** `vitest run` of the browser test with Chromium missing, CI set to `ci` (or unset). */
async function runWithoutChromium(ci: string | undefined): Promise<{ code: number; output: string }> {
  // Without the outer run's VITEST* variables, which would make the inner one think it is a worker.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'CI'));
  const args = ['run', 'test/report/report-browser.test.ts', '--reporter=verbose'];
  const options = { cwd: ROOT, env: { ...env, BATON_TEST_CHROMIUM: NOWHERE, NO_COLOR: '1', ...(ci === undefined ? {} : { CI: ci }) } };
  try {
    const { stdout, stderr } = await promisify(execFile)(VITEST, args, options);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
}

describe('the browser test without Chromium', () => {
  it('is reported skipped, the reason in its name and in a warning, when CI is not set', async () => {
    const { code, output } = await runWithoutChromium(undefined);
    expect(code).toBe(0);
    expect(output).toContain(`SKIPPED the browser test of baton report: ${NOWHERE} is missing`);
    expect(output).toContain(`baton report in a real browser (SKIPPED: ${NOWHERE} is missing) > shows a held run`);
    expect(output).toMatch(/Tests +2 skipped/);
  });

  it('fails the run when CI is set', async () => {
    const { code, output } = await runWithoutChromium('true');
    expect(code).toBe(1);
    expect(output).toContain(`${NOWHERE} is missing: the report test needs Debian's chromium`);
    expect(output).toContain('CI never skips this test.');
  });
});
