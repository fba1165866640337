/**
 * The prom-client metrics of rxmode, one set per registry and prefix, shared by every tree collected
 * into that registry and removed from it when the last of them stops collecting. States, restart
 * counts and leadership are written at scrape time from the trees' entries; durations are observed
 * as they happen.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { SERVICE_STATES, type ServiceState } from '../state.js';

/** Histogram buckets for lifecycle durations (seconds): from a millisecond to a minute-long stop. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What a collector knows of one service of its tree. */
export interface TreeEntry {
  /** `{ service: path }`, taken when the service joins the tree. */
  readonly labels: { service: string };
  state: ServiceState;
  restarts: number;
  /** `{ service, state }` per state, built at the first scrape. */
  perState: { service: string; state: ServiceState }[] | undefined;
  /** Present for a `LeaderService` only: whether it leads, and the terms begun since collected. */
  lease: LeaseEntry | undefined;
}

/** What a collector knows of one `LeaderService`. */
export interface LeaseEntry {
  /** `{ service: path, lease: name }`. */
  readonly labels: { service: string; lease: string };
  leader: boolean;
  terms: number;
}

/** The entries of one collected tree, by service id. */
export type Tree = Map<string, TreeEntry>;

/** The seven metrics, the trees they show, and how many collectors use them. */
export interface MetricSet {
  readonly state: Gauge<'service' | 'state'>;
  readonly restarts: Counter<'service'>;
  readonly startDuration: Histogram<'service'>;
  readonly stopDuration: Histogram<'service'>;
  readonly decisions: Counter<'supervisor' | 'decision'>;
  readonly leader: Gauge<'service' | 'lease'>;
  readonly terms: Counter<'service' | 'lease'>;
  /** The registered names, to remove them again. */
  readonly names: readonly string[];
  /** The trees being collected; a collector adds its own and removes it at its teardown. */
  readonly trees: Set<Tree>;
}

const sets = new WeakMap<Registry, Map<string, MetricSet>>();

/**
 * The metric set of `registry` and `prefix`, registered on first use.
 * @throws Error (prom-client's) when the registry holds another metric with one of these names.
 */
export function acquireMetrics(registry: Registry, prefix: string): MetricSet {
  let byPrefix = sets.get(registry);
  if (!byPrefix) sets.set(registry, (byPrefix = new Map()));
  const existing = byPrefix.get(prefix);
  if (existing) return existing;
  const registers = [registry];
  const trees = new Set<Tree>();
  const names: string[] = [];
  /** The metric's full name, remembered so that a failure part-way can undo what was registered. */
  const named = (suffix: string): string => {
    const name = `${prefix}${suffix}`;
    names.push(name);
    return name;
  };
  try {
    const set: MetricSet = {
      state: new Gauge({
        name: named('service_state'),
        help: 'State of each service: 1 for its current state, 0 for the others.',
        labelNames: ['service', 'state'],
        registers,
        collect() {
          this.reset();
          for (const tree of trees) {
            for (const entry of tree.values()) {
              const labels = (entry.perState ??= SERVICE_STATES.map((state) => ({ ...entry.labels, state })));
              for (const one of labels) this.set(one, one.state === entry.state ? 1 : 0);
            }
          }
        },
      }),
      restarts: new Counter({
        name: named('service_restarts_total'),
        help: 'Starts of each service after its first one.',
        labelNames: ['service'],
        registers,
        collect() {
          this.reset();
          for (const tree of trees) for (const entry of tree.values()) this.inc(entry.labels, entry.restarts);
        },
      }),
      startDuration: new Histogram({
        name: named('service_start_duration_seconds'),
        help: 'Time from entering starting to running.',
        labelNames: ['service'],
        buckets: DURATION_BUCKETS,
        registers,
      }),
      stopDuration: new Histogram({
        name: named('service_stop_duration_seconds'),
        help: 'Time of a stop or of a crash teardown, from its beginning to its end.',
        labelNames: ['service'],
        buckets: DURATION_BUCKETS,
        registers,
      }),
      decisions: new Counter({
        name: named('supervisor_decisions_total'),
        help: 'Decisions of each supervisor about its crashed or stopped children.',
        labelNames: ['supervisor', 'decision'],
        registers,
      }),
      leader: new Gauge({
        name: named('leader'),
        help: 'Leadership of each LeaderService: 1 while this replica holds its lease, 0 while it follows.',
        labelNames: ['service', 'lease'],
        registers,
        collect() {
          this.reset();
          for (const lease of leasesOf(trees)) this.set(lease.labels, lease.leader ? 1 : 0);
        },
      }),
      terms: new Counter({
        name: named('leader_terms_total'),
        help: 'Terms begun by each LeaderService: the times this replica acquired its lease.',
        labelNames: ['service', 'lease'],
        registers,
        collect() {
          this.reset();
          for (const lease of leasesOf(trees)) this.inc(lease.labels, lease.terms);
        },
      }),
      names,
      trees,
    };
    byPrefix.set(prefix, set);
    return set;
  } catch (error) {
    // the name that failed is taken by someone else's metric: remove only the ones registered before it
    for (const name of names.slice(0, -1)) registry.removeSingleMetric(name);
    throw error;
  }
}

/** What the collectors know of each `LeaderService` in `trees`. */
function* leasesOf(trees: Set<Tree>): Generator<LeaseEntry> {
  for (const tree of trees) for (const entry of tree.values()) if (entry.lease) yield entry.lease;
}

/** Stops showing `tree`; once no tree is left, the metrics leave the registry. */
export function releaseMetrics(registry: Registry, prefix: string, set: MetricSet, tree: Tree): void {
  set.trees.delete(tree);
  if (set.trees.size > 0) {
    for (const entry of tree.values()) dropDurations(set, entry);
    return;
  }
  sets.get(registry)?.delete(prefix);
  for (const name of set.names) registry.removeSingleMetric(name);
}

/** Removes the duration series of a service (its state and restarts go with its entry). */
export function dropDurations(set: MetricSet, entry: TreeEntry): void {
  set.startDuration.remove(entry.labels);
  set.stopDuration.remove(entry.labels);
}
