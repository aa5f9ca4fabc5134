/** README.md as the claim tests read it: whole, or one `## ` section at a time. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The text under `## <title>` up to the next `## ` heading; the part above the first heading for `null`. */
export function readmeSection(title: string | null): string {
  if (title === null) return readme.slice(0, readme.indexOf('\n## '));
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** A section's prose with each line break (and a list item's indent) as one space, so that a sentence reads whole. */
export function flat(text: string): string {
  return text.replace(/ *\n */g, ' ');
}
