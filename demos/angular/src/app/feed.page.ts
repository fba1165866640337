// The feed page: its route provides the Feed (stopped when the route's injector is cleaned up on
// navigating away); the page itself provides a Heartbeat (stopped when the page is destroyed).
import { Component, inject } from '@angular/core';
import { SERVICE_TREE, provideComponentServices, serviceState } from 'rxmode/angular';
import { ActivityLog } from './activity-log';
import { Feed, Heartbeat } from './services';
import { StateBadge } from './state-badge';

@Component({
  selector: 'app-feed',
  imports: [StateBadge],
  providers: provideComponentServices(Heartbeat),
  template: `
    <section class="card" id="feed">
      <h2>Feed <small>provided by the route</small></h2>
      <app-state [state]="feedState()" />
      <ol data-messages>
        @for (message of feed.messages(); track message) {
          <li>{{ message }}</li>
        }
      </ol>
    </section>
    <section class="card" id="heartbeat">
      <h2>Heartbeat <small>provided by this component</small></h2>
      <app-state [state]="heartbeatState()" />
      beats: <span data-beats>{{ heartbeat.beats() }}</span>
    </section>
  `,
})
export class FeedPage {
  readonly feed = inject(Feed);
  readonly feedState = serviceState(this.feed);
  readonly heartbeat = inject(Heartbeat);
  readonly heartbeatState = serviceState(this.heartbeat);

  constructor() {
    // This component's own tree (provideComponentServices), in the activity log too.
    inject(ActivityLog).watch(inject(SERVICE_TREE));
  }
}
