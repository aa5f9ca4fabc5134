#!/usr/bin/env node
// Regenerates the machine diagrams in README.md and docs/architecture.md from the built
// machines (run `npm run build` first): every `<!-- machine:NAME:start -->` …
// `<!-- machine:NAME:end -->` block. test/inspection/readme-diagram.test.ts fails when one is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { batchMachine, breakerMachine, conductorMachine, machineMermaid, sheetMachine } from '../dist/index.js';

const MACHINES = { sheet: sheetMachine, conductor: conductorMachine, breaker: breakerMachine, batch: batchMachine };
const FILES = ['../README.md', '../docs/architecture.md'];
const BLOCK = /<!-- machine:([a-z]+):start -->\n[\s\S]*?<!-- machine:\1:end -->/g;

let stale = false;
for (const relative of FILES) {
  const file = fileURLToPath(new URL(relative, import.meta.url));
  const text = readFileSync(file, 'utf8');
  const next = text.replace(BLOCK, (block, name) => {
    const machine = MACHINES[name];
    if (machine === undefined) {
      process.stderr.write(`diagrams: ${relative.slice(3)} names an unknown machine "${name}"\n`);
      process.exit(2);
    }
    return `<!-- machine:${name}:start -->\n\`\`\`mermaid\n${machineMermaid(machine)}\`\`\`\n<!-- machine:${name}:end -->`;
  });
  if (next !== text) {
    writeFileSync(file, next);
    stale = true;
    process.stdout.write(`diagrams: ${relative.slice(3)} regenerated\n`);
  }
}
if (!stale) process.stdout.write('diagrams: up to date\n');
