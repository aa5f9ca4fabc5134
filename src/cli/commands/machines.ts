import { Option, type Command } from 'commander';
import type { AnyStateMachine } from 'xstate';
import { breakerMachine } from '../../machines/breaker.js';
import { conductorMachine } from '../../machines/conductor.js';
import { sheetMachine } from '../../machines/sheet.js';
import { machineJson, machineMermaid } from '../../observe/machine-diagrams.js';
import { EXIT } from '../exit-codes.js';

const MACHINES: Record<'sheet' | 'conductor' | 'breaker', AnyStateMachine> = {
  sheet: sheetMachine,
  conductor: conductorMachine,
  breaker: breakerMachine,
};

type MachineName = keyof typeof MACHINES;

interface MachinesFlags {
  format: 'json' | 'mermaid';
  machine: MachineName | 'all';
}

export function defineMachinesCommand(cli: Command): void {
  cli
    .command('machines')
    .description('print the state machines: JSON definitions for the Stately tools, or Mermaid diagrams')
    .addOption(new Option('--format <format>', 'json (XState definition) or mermaid (stateDiagram-v2)').choices(['json', 'mermaid']).default('json'))
    .addOption(new Option('--machine <name>', 'which machine').choices(['sheet', 'conductor', 'breaker', 'all']).default('all'))
    .action((flags: MachinesFlags) => {
      process.stdout.write(machinesText(flags));
      process.exitCode = EXIT.ok;
    });
}

/**
 * One machine: its JSON definition or its diagram. All of them: a JSON object keyed by
 * machine, or a Markdown page with one `mermaid` block per machine.
 */
function machinesText(flags: MachinesFlags): string {
  const names = flags.machine === 'all' ? (Object.keys(MACHINES) as MachineName[]) : [flags.machine];
  if (flags.format === 'json') {
    const json = flags.machine === 'all' ? Object.fromEntries(names.map((name) => [name, machineJson(MACHINES[name])])) : machineJson(MACHINES[flags.machine]);
    return `${JSON.stringify(json, null, 2)}\n`;
  }
  if (flags.machine !== 'all') return machineMermaid(MACHINES[flags.machine]);
  return names.map((name) => `## ${name}\n\n\`\`\`mermaid\n${machineMermaid(MACHINES[name])}\`\`\`\n`).join('\n');
}
