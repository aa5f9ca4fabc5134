import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { batchMachine, breakerMachine, conductorMachine, machineMermaid, sheetMachine } from '../../src/index.js';

const MACHINES: Record<string, AnyStateMachine> = { sheet: sheetMachine, conductor: conductorMachine, breaker: breakerMachine, batch: batchMachine };
const root = resolve(import.meta.dirname, '../..');

/** Every machine diagram block of a document, by machine name. */
function blocks(file: string): Array<[string, string]> {
  const text = readFileSync(resolve(root, file), 'utf8');
  return [...text.matchAll(/<!-- machine:([a-z]+):start -->\n([\s\S]*?)<!-- machine:\1:end -->/g)].map((m) => [m[1]!, m[2]!]);
}

describe('machine diagrams in the docs (regenerate with `npm run build && npm run diagrams`)', () => {
  it('README.md shows the sheet lifecycle generated from the sheet machine', () => {
    const found = blocks('README.md');
    expect(found.map(([name]) => name)).toEqual(['sheet']);
    expect(found[0]![1]).toBe(`\`\`\`mermaid\n${machineMermaid(sheetMachine)}\`\`\`\n`);
  });

  it('docs/architecture.md shows every machine as generated from its definition', () => {
    const found = blocks('docs/architecture.md');
    expect(found.map(([name]) => name).sort()).toEqual(Object.keys(MACHINES).sort());
    for (const [name, body] of found) expect(body, name).toBe(`\`\`\`mermaid\n${machineMermaid(MACHINES[name]!)}\`\`\`\n`);
  });
});
