/**
 * Diagnostic flags of a service (Mode's `diag`): named flags set while something is under way, with
 * the scheduler time each was last set or unset. `@transitionsTo(flag)` sets one around a method.
 */

/** The diagnostic flags of a service. */
export interface Diag {
  /** The flags set now. */
  readonly flags: ReadonlySet<string>;
  /** Flag → scheduler time it was last set or unset. */
  readonly lastTransition: ReadonlyMap<string, number>;
  setFlag(flag: string): void;
  unsetFlag(flag: string): void;
}

/** @internal The Diag of one service, on its scheduler's clock. */
export class DiagFlags implements Diag {
  readonly flags = new Set<string>();
  readonly lastTransition = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  setFlag(flag: string): void {
    if (typeof flag !== 'string' || flag === '')
      throw new TypeError(`flag must be a non-empty string; received ${String(flag)}`);
    this.flags.add(flag);
    this.lastTransition.set(flag, this.#now());
  }

  unsetFlag(flag: string): void {
    this.flags.delete(flag);
    this.lastTransition.set(flag, this.#now());
  }
}
