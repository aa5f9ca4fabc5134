// S4, the Node.js floor: the same N `true` commands, 8 at a time, through bare
// child_process.spawn (own process group, output ignored). No baton: what any Node.js
// runner pays for starting processes, against which baton's own overhead shows.
import { spawn } from 'node:child_process';
import { argN, measure } from '../lib/measure.mjs';

const n = argN();
await measure(
  () =>
    new Promise((resolve, reject) => {
      let started = 0;
      let ended = 0;
      const next = () => {
        if (started === n) return;
        started++;
        const child = spawn('true', [], { stdio: 'ignore', detached: true });
        child.on('error', reject);
        child.on('exit', (code) => {
          if (code !== 0) return reject(new Error(`true exited ${code}`));
          if (++ended === n) resolve();
          else next();
        });
      };
      for (let i = 0; i < 8; i++) next();
    }),
);
