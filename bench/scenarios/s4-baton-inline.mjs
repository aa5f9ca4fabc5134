// S4, baton with in-process spawning (BATON_SPAWNER=inline): the same job as s4-baton.mjs, its
// processes started by baton's own process instead of the spawner helpers. Shows what the
// helpers are worth.
process.env.BATON_SPAWNER = 'inline';
await import('./s4-baton.mjs');
