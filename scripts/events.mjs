#!/usr/bin/env node
// Regenerates README.md's list of events from the build (run `npm run build` first): the
// `<!-- events:start -->` … `<!-- events:end -->` block, from BATON_EVENT_TYPES and
// ATTEMPT_OUTCOMES, which the compiler holds to the BatonEvent union.
//
//   node scripts/events.mjs [--check] [FILE]     FILE defaults to README.md
//
// --check writes nothing and exits 1 when the block is stale (test/package/readme-events.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ATTEMPT_OUTCOMES, BATON_EVENT_TYPES } from '../dist/index.js';

const args = process.argv.slice(2);
const check = args.includes('--check');
const files = args.filter((arg) => arg !== '--check');
if (files.length > 1 || files.some((arg) => arg.startsWith('-'))) {
  process.stderr.write('usage: node scripts/events.mjs [--check] [FILE]\n');
  process.exit(2);
}
const file = files[0] ?? fileURLToPath(new URL('../README.md', import.meta.url));

const START = '<!-- events:start -->';
const END = '<!-- events:end -->';

function block() {
  const rows = Object.entries(BATON_EVENT_TYPES).map(([type, when]) => `| \`${type}\` | ${when} |`);
  const outcomes = Object.entries(ATTEMPT_OUTCOMES).map(([outcome, meaning]) => `- \`${outcome}\`: ${meaning}`);
  return [START, '| event | when |', '|---|---|', ...rows, '', "`attempt.ended`'s `outcome`:", '', ...outcomes, END].join('\n');
}

const text = readFileSync(file, 'utf8');
const start = text.indexOf(START);
const end = text.indexOf(END);
if (start === -1 || end === -1 || end < start || text.indexOf(START, start + 1) !== -1) {
  process.stderr.write(`events: ${file} must hold exactly one ${START} … ${END} block\n`);
  process.exit(2);
}
const next = text.slice(0, start) + block() + text.slice(end + END.length);
if (next === text) {
  process.stdout.write(`events: ${file} is up to date\n`);
} else if (check) {
  process.stderr.write(`events: the event list in ${file} is stale: run \`npm run build && npm run events\`\n`);
  process.exit(1);
} else {
  writeFileSync(file, next);
  process.stdout.write(`events: ${file} regenerated\n`);
}
