// Sheet functions for examples/function-pipeline.yaml. Each export is
//   async (ctx) => ({ ok, output?, error? })
// where ctx = { sheet: { id, attempt, mode, fan: { index, count } }, workspace, model,
//               vars, deps, signal }.
// Everything here is deterministic: the same score gives the same files and outputs.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const VOCABULARY = (
  'the of and to in is that for it as with was on be by this are from or at an which ' +
  'conductor sheet score instrument dispatch queue retry backoff budget model agent ' +
  'state actor event stream timer worker limit cost output input file build test ' +
  'review plan summary parser module cache error signal process node graph'
).split(' ');

/** A small seeded PRNG (mulberry32), so "generated" text is the same on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A document of roughly Zipf-distributed words: early vocabulary words are the common ones. */
function generateDocument(seed, words) {
  const random = prng(seed);
  const lines = [];
  let line = [];
  for (let i = 0; i < words; i++) {
    const rank = Math.floor(VOCABULARY.length ** random()) - 1;
    line.push(VOCABULARY[Math.min(rank, VOCABULARY.length - 1)]);
    if (line.length === 12) {
      lines.push(line.join(' '));
      line = [];
    }
  }
  if (line.length > 0) lines.push(line.join(' '));
  return `${lines.join('\n')}\n`;
}

/** Waits `ms`, or rejects as soon as the attempt is aborted (timeout, cancel). */
function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      },
      { once: true },
    );
  });
}

const corpusDir = (ctx) => join(ctx.workspace, 'corpus');
const docName = (index) => `doc-${String(index).padStart(2, '0')}.txt`;

/** Sheet `corpus`: writes `vars.docs` generated documents into the workspace. */
export async function generate(ctx) {
  const docs = Number(ctx.vars.docs);
  const words = Number(ctx.vars.words_per_doc);
  if (!Number.isInteger(docs) || docs < 1) return { ok: false, error: `vars.docs must be a positive integer, got ${ctx.vars.docs}` };
  await mkdir(corpusDir(ctx), { recursive: true });
  for (let i = 1; i <= docs; i++) {
    await writeFile(join(corpusDir(ctx), docName(i)), generateDocument(1000 + i, words + i * 25));
  }
  return { ok: true, output: { dir: corpusDir(ctx), documents: docs } };
}

/**
 * Sheets `count.1` … `count.N` (the default export): "fetch" one document (a read plus a
 * little latency, like a network call) and count its words. On its first attempt, member 5
 * fails like a dropped connection; the retry succeeds.
 */
export default async function countWords(ctx) {
  const { index } = ctx.sheet.fan;
  const corpus = ctx.deps.corpus?.output;
  if (corpus === undefined) return { ok: false, error: 'no output from the corpus sheet' };
  if (index > corpus.documents) return { ok: false, error: `document ${index} does not exist (corpus has ${corpus.documents})` };

  await delay(20 + ((index * 37) % 60), ctx.signal);
  if (index === 5 && ctx.sheet.attempt === 1) {
    return { ok: false, error: `fetch ${docName(index)}: socket hang up (ECONNRESET)` };
  }
  const text = await readFile(join(corpus.dir, docName(index)), 'utf8');

  const counts = new Map();
  for (const word of text.split(/\s+/)) {
    if (word !== '') counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const words = [...counts.values()].reduce((a, b) => a + b, 0);
  return {
    ok: true,
    output: { doc: docName(index), words, distinct: counts.size, counts: Object.fromEntries(counts) },
  };
}

/** Sheet `aggregate`: merges the counts of every `count` member and writes a report. */
export async function aggregate(ctx) {
  const totals = new Map();
  const perDoc = [];
  for (const [id, dep] of Object.entries(ctx.deps)) {
    const out = dep.output;
    if (out === undefined) return { ok: false, error: `dependency ${id} has no output` };
    perDoc.push({ sheet: id, doc: out.doc, words: out.words, distinct: out.distinct });
    for (const [word, n] of Object.entries(out.counts)) totals.set(word, (totals.get(word) ?? 0) + n);
  }
  perDoc.sort((a, b) => a.doc.localeCompare(b.doc));
  const top = [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, Number(ctx.vars.top));
  const words = perDoc.reduce((sum, d) => sum + d.words, 0);

  const report = { documents: perDoc.length, words, distinct: totals.size, top, perDoc };
  await writeFile(join(ctx.workspace, 'word-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const lines = [
    `${perDoc.length} documents, ${words} words, ${totals.size} distinct`,
    '',
    ...perDoc.map((d) => `${d.doc}  ${String(d.words).padStart(5)} words  ${String(d.distinct).padStart(3)} distinct`),
    '',
    `top ${top.length}:`,
    ...top.map(([word, n], i) => `${String(i + 1).padStart(3)}. ${word.padEnd(12)} ${n}`),
  ];
  await writeFile(join(ctx.workspace, 'word-report.txt'), `${lines.join('\n')}\n`);
  return { ok: true, output: { documents: perDoc.length, words, distinct: totals.size, top: top.slice(0, 5) } };
}
