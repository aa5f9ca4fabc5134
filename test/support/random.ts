/** A small seeded PRNG (mulberry32), so a property's counterexample replays exactly. */
export { seededRandom as prng } from '../../src/simulate/random.js';
