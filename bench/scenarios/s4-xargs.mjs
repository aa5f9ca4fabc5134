// S4, baseline: `xargs -P8` running the same N `true` commands, 8 at a time.
import { spawn } from 'node:child_process';
import { argN, measure } from '../lib/measure.mjs';

const n = argN();
await measure(
  () =>
    new Promise((resolve, reject) => {
      const child = spawn('xargs', ['-P8', '-I{}', 'true'], { stdio: ['pipe', 'ignore', 'inherit'] });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`xargs exited ${code}`))));
      child.stdin.end(Array.from({ length: n }, (_, i) => `${i}\n`).join(''));
    }),
);
