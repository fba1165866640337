// The shell: navigation, the routed page, and the activity log of every tree.
import { Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { ActivityLog } from './activity-log';

@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  template: `
    <h1>rxmode × Angular</h1>
    <nav>
      <a
        id="nav-dashboard"
        routerLink="/"
        routerLinkActive="active"
        [routerLinkActiveOptions]="{ exact: true }"
        >Dashboard</a
      >
      <a id="nav-feed" routerLink="/feed" routerLinkActive="active">Feed</a>
    </nav>
    <router-outlet />
    <section class="card">
      <h2>Activity</h2>
      <ol class="log" id="activity">
        @for (entry of log.entries(); track $index) {
          <li>{{ entry }}</li>
        }
      </ol>
    </section>
  `,
})
export class AppComponent {
  readonly log = inject(ActivityLog);
}
