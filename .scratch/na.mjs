import { readdirSync, readFileSync } from 'node:fs';
import { createCommandInstrument } from '/work/main/src/actors/command-instrument.ts';
import { sharedSpawnerPool } from '/work/main/src/actors/spawner/pool.ts';
createCommandInstrument({ name: 'sh', command: ['bash', '-c'], spawner: 'helper' });
await sharedSpawnerPool().warm();
console.log('warm');
