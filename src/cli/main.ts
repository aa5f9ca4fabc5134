#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { port, positiveDuration, positiveInteger } from './arguments.js';
import { tolerateClosedOutput } from './closed-output.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';
import { resumeCommand, runCommand, type ResumeFlags, type RunFlags } from './commands/run.js';
import { addDefaultsOption, type DefaultsFlags } from './score-loading.js';
import { defineValidateCommand } from './commands/validate.js';
import { lingerDuration } from './metrics-server.js';
import { statusCommand } from './commands/status.js';
import { decideCommand } from './commands/decide.js';
import { defineInspectCommand } from './commands/inspect.js';
import { defineMachinesCommand } from './commands/machines.js';
import { defineReportCommand } from './commands/report.js';
import { defineSimulateCommand } from './commands/simulate.js';
import { errorMessage } from '../util/error-message.js';

/**
 * Commands defined in their own files: each adds itself to the program. Keeps this file
 * from growing with every command.
 */
const moreCommands: Array<(cli: Command) => void> = [defineInspectCommand, defineMachinesCommand, defineReportCommand, defineValidateCommand, defineSimulateCommand];

/** What `run` and `resume` both take: how the job runs, and how it is watched. */
function runOptions(command: Command): Command {
  return addDefaultsOption(command)
    .addHelpText('after', exitCodesHelp())
    .argument('<score>', 'score file (YAML or JSON)')
    .option('--concurrency <n>', 'override the score’s global concurrency', positiveInteger)
    .option('--json', 'print a JSON summary of every sheet at the end')
    .option('--quiet', 'print no progress and no summary')
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://127.0.0.1:<port>/metrics while the job runs (0: any free port)', port)
    .option('--metrics-linger <duration>', 'after the job, keep serving metrics until scraped once more, at most this long', lingerDuration)
    .option('--inspect-ws <port>', 'serve the XState inspection on ws://127.0.0.1:<port> for the Stately inspector (0: any free port)', port)
    .addOption(
      new Option(
        '--coordinate <target>',
        'share rate limits, circuit breakers and shared_concurrency caps with other baton processes: sqlite:PATH (one host), sqlite (the file under ~/.local/state/baton), or redis://HOST:PORT (several hosts)',
      ).env('BATON_COORDINATION'),
    )
    .option('--coordinate-lease <duration>', 'with --coordinate: how long the shared slots of a process that died stay taken (default 10s)', positiveDuration);
}

/** The version in the package.json shipped beside dist/ (and beside src/ in a checkout). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function program(): Command {
  const cli = new Command('baton')
    .description('Run scores: DAGs of sheets under caps, retries and budgets.')
    .version(packageVersion(), '-V, --version', 'print the version of baton')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError('(run "baton --help" for usage)')
    .addHelpText('after', exitCodesHelp());

  runOptions(cli.command('run'))
    .description('validate a score, then run its job to the end')
    .action(async (score: string, flags: RunFlags) => {
      process.exitCode = await runCommand(score, flags);
    });

  runOptions(cli.command('resume'))
    .description('continue a run from its checkpoint: completed sheets never run again')
    .option('--force', 'continue even if the score changed incompatibly since the checkpoint')
    .action(async (score: string, flags: ResumeFlags) => {
      process.exitCode = await resumeCommand(score, flags);
    });

  addDefaultsOption(cli.command('status'))
    .description('show every sheet from the checkpoint, while the job runs or after it stopped')
    .argument('<score>', 'score file (YAML or JSON)')
    .option('--json', 'print the status as JSON')
    .action(async (score: string, flags: { json?: boolean } & DefaultsFlags) => {
      process.exitCode = await statusCommand(score, flags);
    });

  addDefaultsOption(cli.command('decide'))
    .description('resolve a fermata in the checkpoint: retry, skip, fail, or accept (completed)')
    .argument('<score>', 'score file (YAML or JSON)')
    .argument('<sheet>', 'id of the sheet held at a fermata')
    .argument('<decision>', 'retry | skip | fail | accept')
    .action(async (score: string, sheet: string, decision: string, flags: DefaultsFlags) => {
      process.exitCode = await decideCommand(score, sheet, decision, flags);
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
    const message = errorMessage(error);
    process.stderr.write(`baton: ${message}\n`);
    if (process.env.BATON_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = EXIT.failed;
  }
}

tolerateClosedOutput();
void main(process.argv);
