// Routes: the dashboard uses the application's services; /feed brings its own.
import type { Routes } from '@angular/router';
import { provideServices } from 'rxmode/angular';
import { provideActivityLog } from './activity-log';
import { DashboardPage } from './dashboard.page';
import { FeedPage } from './feed.page';
import { Feed } from './services';

export const routes: Routes = [
  { path: '', component: DashboardPage },
  {
    path: 'feed',
    component: FeedPage,
    // A route injector of its own: the Feed tree starts on entering and, with
    // withExperimentalAutoCleanupInjectors(), stops on leaving.
    providers: [provideActivityLog(), provideServices(Feed)],
  },
];
