import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SpawnerClient, type HelperProgram, type StartSpec } from './client.js';
import type { RemoteChild } from './remote-child.js';

/**
 * A few spawner helpers; each attempt goes to the one with the fewest attempts in flight.
 * Helpers are forked as the load needs them, so a sequential run uses one.
 */
export class SpawnerPool {
  private readonly clients: SpawnerClient[];

  /**
   * @param size How many helpers at most. Two beat one even on two cores: while one forks,
   * the other answers. @default `Math.min(2, os.availableParallelism())`
   */
  constructor(size: number = Math.min(2, availableParallelism()), program: HelperProgram = helperProgram()) {
    this.clients = Array.from({ length: Math.max(1, size) }, () => new SpawnerClient(program));
  }

  /**
   * Forks the first helper ahead of the first attempt (the others follow the load);
   * resolves once it is ready, keeping the event loop alive until then. Never rejects.
   */
  warm(): Promise<void> {
    return this.clients[0]!.warm(true);
  }

  /** {@link warm}, for whoever will not wait: a program that is done does not wait for it. */
  prefork(): void {
    void this.clients[0]!.warm(false);
  }

  /** Starts one attempt on the least busy helper; undefined when no helper could be forked. */
  start(spec: StartSpec): RemoteChild | undefined {
    let least = this.clients[0]!;
    for (const client of this.clients) if (client.inFlight < least.inFlight) least = client;
    return least.start(spec);
  }
}

let shared: SpawnerPool | undefined;

/** The pool every command instrument of this process uses, created on first use. */
export function sharedSpawnerPool(): SpawnerPool {
  shared ??= new SpawnerPool();
  return shared;
}

/**
 * The helper beside this module: `.js` from the build; `.ts` when the sources run directly
 * (tests), in which case Node needs tsx to load it.
 */
function helperProgram(): HelperProgram {
  const fromSource = import.meta.url.endsWith('.ts');
  return {
    path: fileURLToPath(new URL(fromSource ? './helper.ts' : './helper.js', import.meta.url)),
    execArgv: fromSource ? ['--import', 'tsx'] : [],
  };
}
