#!/usr/bin/env node
// A stand-in for an AI coding CLI, for examples/agent-review.yaml. It behaves the way such
// tools do from baton's point of view: it takes a model and a prompt (on stdin, or as
// --prompt), "thinks" for a while, prints a transcript on stdout, writes a result file, and
// ends stdout with one JSON result, like `claude -p --output-format json`:
//
//   {"type":"result","is_error":false,"result":"...","total_cost_usd":0.0123,"session_id":"..."}
//
//   echo "review the parser" | node fake-agent.mjs --model fast [--context FILE|DIR] [--out NAME]
//   node fake-agent.mjs --model fast --prompt "review the parser"
//   node fake-agent.mjs fast "review the parser"          (positional form)
//
// Environment:
//   BATON_SHEET_ID, BATON_ATTEMPT, BATON_WORKSPACE  set by baton for every attempt
//   FAKE_AGENT_FAILURE_RATE   probability of a failed attempt (default 0.15)
//   FAKE_AGENT_RATE_LIMIT_RATE   probability of a rate-limited attempt (default 0.05)
//   FAKE_AGENT_CRASH_SHARE    share of the failed attempts that crash without a result (default 0.33)
//   FAKE_AGENT_MIN_MS / FAKE_AGENT_MAX_MS   think time range (default 100..800)
//
// A failed attempt is, like with real agent CLIs, usually an exit 0 whose result has
// "is_error": true and the error in "result"; now and then a plain crash (exit 1, one line
// on stderr, no result). A rate-limited attempt exits 0 with "is_error": true, the message
// "API Error: rate limit exceeded (429)" and "retry_after_s": 1.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const USAGE = 'usage: fake-agent.mjs [--model M] [--prompt TEXT] [--context FILE|DIR] [--out NAME] (prompt on stdin without --prompt) | fake-agent.mjs MODEL PROMPT';

function parseArgs(argv) {
  const opts = { model: 'default', prompt: undefined, context: undefined, out: undefined };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`option ${arg} needs a value\n${USAGE}`, 2);
      return argv[++i];
    };
    if (arg === '--model' || arg === '-m') opts.model = value();
    else if (arg === '--prompt' || arg === '-p') opts.prompt = value();
    else if (arg === '--context') opts.context = value();
    else if (arg === '--out') opts.out = value();
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg.startsWith('-')) fail(`unknown option ${arg}\n${USAGE}`, 2);
    else positional.push(arg);
  }
  if (positional.length === 2 && opts.prompt === undefined) {
    [opts.model, opts.prompt] = positional;
  } else if (positional.length === 1 && opts.prompt === undefined) {
    opts.prompt = positional[0];
  } else if (positional.length > 0) {
    fail(`unexpected arguments: ${positional.join(' ')}\n${USAGE}`, 2);
  }
  return opts;
}

/** The prompt: --prompt when given, else all of stdin. */
async function readPrompt(given) {
  if (given !== undefined) return given;
  if (process.stdin.isTTY) return '';
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

/** Ends stdout with the JSON result, on a line of its own. */
function result(fields) {
  process.stdout.write(`${JSON.stringify({ type: 'result', session_id: `fake-${process.pid}`, ...fields })}\n`);
}

function fail(message, code = 1) {
  process.stderr.write(`fake-agent: ${message}\n`);
  process.exit(code);
}

function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) ? n : fallback;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Crashes an agent CLI really has. None of them look like a rate limit (no "429", no "rate limit").
const CRASHES = [
  'error: tool call "apply_patch" failed: hunk 2 does not apply',
  'error: model stream ended unexpectedly (unexpected EOF)',
  'error: context window exceeded while reading the repository',
  'error: sandbox exited with signal SIGSEGV',
  'error: could not parse the model response as JSON',
];

const FINDINGS = [
  ['warning', 'error paths return early without closing the file handle'],
  ['note', 'the retry loop does not cap its backoff'],
  ['warning', 'user input reaches a shell without quoting'],
  ['note', 'two helpers duplicate the same date parsing'],
  ['info', 'tests cover the happy path only'],
  ['warning', 'a promise is created and never awaited'],
  ['note', 'the public function lacks a doc comment'],
  ['info', 'variable names are clear and consistent'],
];

/** A small deterministic hash, to vary the transcript by prompt. */
function hash(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  opts.prompt = await readPrompt(opts.prompt);
  if (opts.prompt.trim() === '') fail(`no prompt given (on stdin or as --prompt)\n${USAGE}`, 2);
  const sheetId = process.env.BATON_SHEET_ID ?? 'manual';
  const attempt = process.env.BATON_ATTEMPT ?? '1';
  const workspace = process.env.BATON_WORKSPACE ?? process.cwd();
  const failureRate = envNumber('FAKE_AGENT_FAILURE_RATE', 0.15);
  const rateLimitRate = envNumber('FAKE_AGENT_RATE_LIMIT_RATE', 0.05);
  const crashShare = envNumber('FAKE_AGENT_CRASH_SHARE', 0.33);
  const minMs = envNumber('FAKE_AGENT_MIN_MS', 100);
  const maxMs = Math.max(minMs, envNumber('FAKE_AGENT_MAX_MS', 800));

  const say = (line) => process.stdout.write(`${line}\n`);
  say(`> agent session ${sheetId} (attempt ${attempt}) model=${opts.model}`);
  say(`> user: ${opts.prompt.trim().split('\n').join('\n>       ')}`);

  // --context FILE reads one file; --context DIR reads every *.md file in it.
  let context = '';
  if (opts.context !== undefined && opts.context !== '') {
    try {
      const files = (await stat(opts.context)).isDirectory()
        ? (await readdir(opts.context))
            .filter((f) => f.endsWith('.md') && f !== `${opts.out ?? sheetId}.md`) // not our own earlier result
            .sort()
            .map((f) => join(opts.context, f))
        : [opts.context];
      for (const file of files) {
        const text = await readFile(file, 'utf8');
        say(`[tool] read_file ${file} (${text.length} bytes)`);
        context += text;
      }
    } catch (err) {
      fail(`cannot read context ${opts.context}: ${err.code ?? err.message}`);
    }
  }

  const thinkMs = Math.round(minMs + Math.random() * (maxMs - minMs));
  say(`[thinking ${thinkMs} ms]`);
  await sleep(thinkMs);

  const roll = Math.random();
  if (roll < rateLimitRate) {
    result({ is_error: true, result: 'API Error: rate limit exceeded (429)', retry_after_s: 1, total_cost_usd: 0 });
    return;
  }
  if (roll < rateLimitRate + failureRate) {
    say('[tool] apply_patch ...');
    const error = CRASHES[Math.floor(Math.random() * CRASHES.length)];
    // Some failures are crashes without a result; the others report it, exiting 0.
    if (Math.random() < crashShare) fail(error);
    result({ is_error: true, result: error, total_cost_usd: Number((0.001 + Math.random() * 0.004).toFixed(4)) });
    return;
  }

  const seed = hash(`${opts.model}|${opts.prompt}`);
  const picked = [0, 1, 2].map((k) => FINDINGS[(seed >>> (k * 3)) % FINDINGS.length]);
  const findings = [...new Map(picked.map((f) => [f[1], f])).values()];
  const inputTokens = 800 + (seed % 4000) + context.length;
  const outputTokens = 200 + (seed % 900);
  const rate = opts.model === 'deep' ? 15 : 3; // USD per million tokens, made up
  const cost = ((inputTokens + outputTokens * 4) * rate) / 1_000_000;

  // Findings already present in the context (e.g. earlier reviews), tallied by level: read
  // with --context, or given in the prompt (baton's `context:` block puts it there).
  const tally = {};
  for (const m of `${context}\n${opts.prompt}`.matchAll(/^- \*\*(\w+)\*\*/gm)) tally[m[1]] = (tally[m[1]] ?? 0) + 1;
  const tallyText = Object.entries(tally).sort().map(([level, n]) => `${n} ${level}`).join(', ');

  say('[tool] grep -rn "TODO" src/');
  if (tallyText !== '') say(`assistant: the earlier reports hold ${tallyText}.`);
  say('assistant: I looked at the code in question. Findings:');
  for (const [level, text] of findings) say(`  - ${level}: ${text}`);

  const lines = [
    `# ${sheetId}`,
    '',
    `model: ${opts.model}`,
    `attempt: ${attempt}`,
    `prompt: ${opts.prompt.trim().split('\n')[0]}`,
    ...(context !== '' ? [`context: ${context.split('\n').filter(Boolean).length} lines read`] : []),
    ...(tallyText !== '' ? [`earlier findings: ${tallyText}`] : []),
    '',
    ...findings.map(([level, text]) => `- **${level}** ${text}`),
    '',
  ];
  const resultDir = join(workspace, 'results');
  await mkdir(resultDir, { recursive: true });
  const resultFile = join(resultDir, `${opts.out ?? sheetId}.md`);
  await writeFile(resultFile, lines.join('\n'));

  say(`[tool] write_file ${resultFile}`);
  say(`tokens: input=${inputTokens} output=${outputTokens}`);
  result({ is_error: false, result: `${findings.length} findings written to ${resultFile}`, total_cost_usd: Number(cost.toFixed(4)) });
}

main().catch((err) => fail(`internal error: ${err?.stack ?? err}`));
