// The dashboard: the application-wide clock and the supervised flaky poller, with live states.
import { Component, computed, inject } from '@angular/core';
import { DatePipe } from '@angular/common';
import { serviceState } from 'rxmode/angular';
import { Clock, FlakyPoller } from './services';
import { StateBadge } from './state-badge';

@Component({
  selector: 'app-dashboard',
  imports: [DatePipe, StateBadge],
  template: `
    <section class="card" id="clock">
      <h2>Clock</h2>
      <app-state [state]="clockState()" />&nbsp;
      <span data-time>{{ clock.now() | date: 'mediumTime' }}</span>
    </section>
    <section class="card" id="poller">
      <h2>Flaky poller <small>under a OneForOneSupervisor</small></h2>
      <app-state [state]="pollerState()" />
      polls: <span data-polls>{{ poller.polls() }}</span>, restarts:
      <span data-restarts>{{ restarts() }}</span>
      @if (crashMessage(); as message) {
        <p data-crash>last crash: {{ message }}</p>
      }
      <p><button id="crash" (click)="poller.failNextPoll()">Make the next poll fail</button></p>
    </section>
  `,
})
export class DashboardPage {
  readonly clock = inject(Clock);
  readonly clockState = serviceState(this.clock);
  readonly poller = inject(FlakyPoller);
  readonly pollerState = serviceState(this.poller);
  /** Plain properties of the service, read again whenever its state changes. */
  readonly restarts = computed(() => (this.pollerState(), this.poller.restartCount));
  readonly crashMessage = computed(() => {
    this.pollerState();
    const reason = this.poller.crashReason;
    return reason instanceof Error ? reason.message : undefined;
  });
}
