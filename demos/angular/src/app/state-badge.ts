// A service state as a coloured badge (`data-state` holds the state for the browser tests).
import { Component, input } from '@angular/core';
import type { ServiceState } from 'rxmode';

@Component({
  selector: 'app-state',
  template: `<span class="state {{ state() }}" data-state>{{ state() }}</span>`,
})
export class StateBadge {
  readonly state = input.required<ServiceState>();
}
