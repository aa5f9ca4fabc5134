#!/usr/bin/env node
// Regenerates the sheet lifecycle diagram in README.md from the built sheet machine
// (run `npm run build` first). test/inspection/readme-diagram.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineMermaid, sheetMachine } from '../dist/index.js';

const START = '<!-- sheet-lifecycle:start -->';
const END = '<!-- sheet-lifecycle:end -->';
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

const text = readFileSync(readme, 'utf8');
const start = text.indexOf(START);
const end = text.indexOf(END);
if (start < 0 || end < start) {
  process.stderr.write(`diagrams: README.md has no ${START} … ${END} block\n`);
  process.exit(2);
}
const block = `${START}\n\`\`\`mermaid\n${machineMermaid(sheetMachine)}\`\`\`\n${END}`;
const next = text.slice(0, start) + block + text.slice(end + END.length);
if (next === text) {
  process.stdout.write('diagrams: README.md is up to date\n');
} else {
  writeFileSync(readme, next);
  process.stdout.write('diagrams: README.md sheet lifecycle regenerated\n');
}
