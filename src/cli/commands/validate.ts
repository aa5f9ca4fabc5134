import type { Command } from 'commander';
import { explainSheet, SheetNotInScoreError, type SheetExplanation } from '../../score/defaults/explain.js';
import { programWarnings } from '../../score/program-check.js';
import type { Score } from '../../score/types.js';
import { EXIT } from '../exit-codes.js';
import { counted } from '../counted.js';
import { reportScoreError } from '../score-errors.js';
import { addDefaultsOption, loadScoreForCli, type DefaultsFlags } from '../score-loading.js';

interface ValidateFlags extends DefaultsFlags {
  explain?: string;
  json?: boolean;
}

/** `baton validate SCORE [--defaults FILE] [--explain SHEET] [--json]`. */
export function defineValidateCommand(cli: Command): void {
  const command = cli
    .command('validate')
    .description('only validate a score; with --explain, show where each setting of a sheet comes from')
    .argument('<score>', 'score file (YAML or JSON)')
    .option('--explain <sheet>', 'print every resolved setting of this sheet (or fan-out, or fan-out member) and its source')
    .option('--json', 'print the result as JSON');
  addDefaultsOption(command).action(async (score: string, flags: ValidateFlags) => {
    process.exitCode = await validateCommand(score, flags);
  });
}

async function validateCommand(scorePath: string, flags: ValidateFlags = {}): Promise<number> {
  let score: Score;
  try {
    score = await loadScoreForCli(scorePath, flags);
  } catch (error) {
    return reportScoreError(error, process.stderr);
  }
  if (flags.explain === undefined) {
    const warnings = programWarnings(score);
    for (const warning of warnings) process.stderr.write(`warning: ${warning.path}: ${warning.message}\n`);
    const instruments = Object.keys(score.instruments).length;
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({ score: score.name, valid: true, sheets: score.sheetCount, instruments, warnings }, null, 2)}\n`
        : `${score.name}: valid (${counted(score.sheetCount, 'sheet')}, ${counted(instruments, 'instrument')})\n`,
    );
    return EXIT.ok;
  }
  let explanation: SheetExplanation;
  try {
    explanation = explainSheet(score, flags.explain);
  } catch (error) {
    if (!(error instanceof SheetNotInScoreError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }
  process.stdout.write(flags.json ? `${JSON.stringify({ score: score.name, ...explanation }, null, 2)}\n` : explanationText(score, explanation));
  return EXIT.ok;
}

/** Values longer than this do not widen the column: one long validation should not push every source off screen. */
const VALUE_COLUMN_MAX = 24;

function explanationText(score: Score, e: SheetExplanation): string {
  const where =
    e.member !== undefined
      ? `member ${e.member} of fan-out ${e.entry}, sheets[${e.index}]`
      : e.fanOut !== undefined
        ? `fan-out of ${e.fanOut}, every member alike, sheets[${e.index}]`
        : `sheets[${e.index}]`;
  const nameWidth = Math.max(...e.settings.map((s) => s.setting.length));
  const valueWidth = Math.min(VALUE_COLUMN_MAX, Math.max(...e.settings.map((s) => s.text.length)));
  const rows = e.settings.map((s) => `${s.setting.padEnd(nameWidth)}  ${s.text.padEnd(valueWidth)}  (${s.from})`);
  return `${score.name}: ${e.sheet} (${where})\n${rows.join('\n')}\n`;
}
