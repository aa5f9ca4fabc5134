import type { InstrumentSpec } from '../../score/types.js';

/**
 * The instruments of every job a conductor runs, by name, and the identities their policy
 * state is shared under (`shared_as`, default the name). Gates key their state by
 * instrument name across jobs; a shared gate speaks to the backend in identities, and
 * brings what it hears back to every name of that identity.
 */
export class InstrumentDirectory {
  private readonly specs = new Map<string, InstrumentSpec>();
  private readonly names = new Map<string, string[]>();

  /** The instruments of a job being registered: the latest job's settings of a name win. */
  adopt(instruments: Readonly<Record<string, InstrumentSpec>>): void {
    for (const [name, spec] of Object.entries(instruments)) {
      const before = this.specs.get(name);
      this.specs.set(name, spec);
      const identity = spec.sharedAs ?? name;
      if (before !== undefined && (before.sharedAs ?? name) !== identity) this.forget(before.sharedAs ?? name, name);
      const names = this.names.get(identity) ?? [];
      if (!names.includes(name)) names.push(name);
      this.names.set(identity, names);
    }
  }

  spec(name: string): InstrumentSpec | undefined {
    return this.specs.get(name);
  }

  identity(name: string): string {
    return this.specs.get(name)?.sharedAs ?? name;
  }

  /** The instrument names shared under `identity` (none when no job has it). */
  namesOf(identity: string): readonly string[] {
    return this.names.get(identity) ?? [];
  }

  /** Every instrument name known. */
  all(): IterableIterator<string> {
    return this.specs.keys();
  }

  private forget(identity: string, name: string): void {
    const names = this.names.get(identity)?.filter((n) => n !== name) ?? [];
    if (names.length === 0) this.names.delete(identity);
    else this.names.set(identity, names);
  }
}
