#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { positiveInteger } from './arguments.js';
import { EXIT } from './exit-codes.js';
import { resumeCommand, runCommand, validateCommand } from './run-command.js';
import { statusCommand } from './status-command.js';
import { decideCommand } from './decide-command.js';

/**
 * Commands defined in their own files: each adds itself to the program. Keeps this file
 * from growing with every command.
 */
const moreCommands: Array<(cli: Command) => void> = [];

function program(): Command {
  const cli = new Command('baton')
    .description('Run scores: DAGs of sheets under caps, retries and budgets.')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError('(run "baton --help" for usage)');

  cli
    .command('run')
    .description('validate a score, then run its job to the end')
    .argument('<score>', 'score file (YAML or JSON)')
    .option('--concurrency <n>', 'override the score’s global concurrency', positiveInteger)
    .option('--json', 'print a JSON summary of every sheet at the end')
    .option('--quiet', 'print no progress and no summary')
    .action(async (score: string, flags: { concurrency?: number; json?: boolean; quiet?: boolean }) => {
      process.exitCode = await runCommand(score, flags);
    });

  cli
    .command('resume')
    .description('continue a run from its checkpoint: completed sheets never run again')
    .argument('<score>', 'score file (YAML or JSON)')
    .option('--concurrency <n>', 'override the score’s global concurrency', positiveInteger)
    .option('--force', 'continue even if the score changed incompatibly since the checkpoint')
    .option('--json', 'print a JSON summary of every sheet at the end')
    .option('--quiet', 'print no progress and no summary')
    .action(async (score: string, flags: { concurrency?: number; json?: boolean; quiet?: boolean; force?: boolean }) => {
      process.exitCode = await resumeCommand(score, flags);
    });

  cli
    .command('status')
    .description('show every sheet from the checkpoint, while the job runs or after it stopped')
    .argument('<score>', 'score file (YAML or JSON)')
    .option('--json', 'print the status as JSON')
    .action(async (score: string, flags: { json?: boolean }) => {
      process.exitCode = await statusCommand(score, flags);
    });

  cli
    .command('decide')
    .description('resolve a fermata in the checkpoint: retry, skip, fail, or accept (completed)')
    .argument('<score>', 'score file (YAML or JSON)')
    .argument('<sheet>', 'id of the sheet held at a fermata')
    .argument('<decision>', 'retry | skip | fail | accept')
    .action(async (score: string, sheet: string, decision: string) => {
      process.exitCode = await decideCommand(score, sheet, decision);
    });

  cli
    .command('validate')
    .description('only validate a score')
    .argument('<score>', 'score file (YAML or JSON)')
    .action(async (score: string) => {
      process.exitCode = await validateCommand(score);
    });

  for (const define of moreCommands) define(cli);
  return cli;
}

async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const benign = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      process.exitCode = benign ? EXIT.ok : EXIT.usage;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`baton: ${message}\n`);
    if (process.env.BATON_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = EXIT.failed;
  }
}

void main(process.argv);
