import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineMermaid, sheetMachine } from '../../src/index.js';

const README = resolve(import.meta.dirname, '../../README.md');

describe('README sheet lifecycle', () => {
  it('shows the diagram generated from the sheet machine (regenerate with `npm run build && npm run diagrams`)', () => {
    const text = readFileSync(README, 'utf8');
    const block = /<!-- sheet-lifecycle:start -->\n([\s\S]*?)<!-- sheet-lifecycle:end -->/.exec(text);
    expect(block, 'README.md has no sheet-lifecycle block').not.toBeNull();
    expect(block![1]).toBe(`\`\`\`mermaid\n${machineMermaid(sheetMachine)}\`\`\`\n`);
  });
});
