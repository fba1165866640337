// Helpers shared by the supervisor specs: recording the decisions of a supervisor.
import type { Supervisor, SupervisorDecision } from '../../lib/supervisors/index.js';

/** Records every decision of `sup`, as it is published. */
export function recordDecisions(sup: Supervisor): SupervisorDecision[] {
  const list: SupervisorDecision[] = [];
  sup.decisions$.subscribe((d) => list.push(d));
  return list;
}

/** Records every decision of `sup` as `childName:decision#attempt+delayMs`. */
export function decisionLog(sup: Supervisor): string[] {
  const list: string[] = [];
  sup.decisions$.subscribe((d) => list.push(`${d.child.name}:${d.decision}#${d.attempt}+${d.delayMs}`));
  return list;
}
