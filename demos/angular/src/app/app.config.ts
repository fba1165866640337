// The application: zoneless, the router (cleaning up route injectors), the application-wide
// services, and the page lifecycle bound to their tree.
import {
  inject,
  provideEnvironmentInitializer,
  provideZonelessChangeDetection,
  type ApplicationConfig,
} from '@angular/core';
import { provideRouter, withExperimentalAutoCleanupInjectors } from '@angular/router';
import { bindPageLifecycle } from 'rxmode';
import { SERVICE_TREE, provideServices } from 'rxmode/angular';
import { provideActivityLog } from './activity-log';
import { routes } from './app.routes';
import { Clock, FlakyPoller, PollerSupervisor } from './services';

export const appConfig: ApplicationConfig = {
  providers: [
    provideZonelessChangeDetection(),
    provideRouter(routes, withExperimentalAutoCleanupInjectors()),
    provideActivityLog(),
    provideServices(Clock, PollerSupervisor, FlakyPoller),
    provideEnvironmentInitializer(() => bindPageLifecycle(inject(SERVICE_TREE), { pauseWhenHidden: true })),
  ],
};
