/** The repository's examples/, copied into a temp folder as a user copies them, and run with the built CLI. */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { baton, type CliResult } from '../cli/run-cli.js';
import { makeTempDir } from '../support/temp-dir.js';
import { ROOT } from './readme.js';

/** A fresh folder holding a copy of examples/, as `cp -r …/examples .` leaves it. */
export function copiedExamples(): string {
  const dir = makeTempDir('baton-readme-examples-');
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  return dir;
}

/** `baton run examples/<name>.yaml --json` from a folder made by `copiedExamples`. */
export function runExample(dir: string, name: string): Promise<CliResult> {
  return baton(['run', `examples/${name}.yaml`, '--json'], { cwd: dir });
}
