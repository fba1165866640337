// The demo's activity log: every state change of the service trees it watches, newest last.
import {
  Injectable,
  inject,
  makeEnvironmentProviders,
  provideEnvironmentInitializer,
  signal,
  type EnvironmentProviders,
} from '@angular/core';
import type { Service, StopReason } from 'rxmode';
import { SERVICE_TREE } from 'rxmode/angular';

const describeReason = (reason: StopReason | undefined): string => {
  if (!reason) return '';
  if (reason.type === 'signal') return ` (${reason.signal})`;
  if (reason.type === 'crash') return ` (${reason.error instanceof Error ? reason.error.message : 'crash'})`;
  return ` (${reason.type})`;
};

@Injectable({ providedIn: 'root' })
export class ActivityLog {
  readonly entries = signal<string[]>([]);

  add(entry: string): void {
    this.entries.update((list) => [...list.slice(-24), entry]);
  }

  /** Logs every state change in a tree, for as long as the tree lives. */
  watch(tree: Service<any>): void {
    tree.events$.subscribe((event) => {
      if (event.type === 'state')
        this.add(`${event.service.path}: ${event.to}${describeReason(event.reason)}`);
    });
  }
}

/** Logs the service tree of the injector these providers are in (list them before provideServices). */
export function provideActivityLog(): EnvironmentProviders {
  return makeEnvironmentProviders([
    provideEnvironmentInitializer(() => inject(ActivityLog).watch(inject(SERVICE_TREE))),
  ]);
}
