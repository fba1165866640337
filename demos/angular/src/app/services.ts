// The demo's services: a clock, a flaky poller under a OneForOneSupervisor, a websocket-like feed
// and a heartbeat. Plain rxmode services; Angular builds them, so they may inject().
import { inject, signal } from '@angular/core';
import { OneForOneSupervisor, Service, timer as every } from 'rxmode';
import { map, tap, timer } from 'rxjs';

/** Ticks every second (the @timer decorator, compiled with experimentalDecorators). */
export class Clock extends Service {
  readonly now = signal(new Date());

  constructor() {
    super({ name: 'clock' });
  }

  @every('1s', { execFirst: true })
  tick(): void {
    this.now.set(new Date());
  }
}

/** Polls every 300 ms; a poll can be told to fail, which crashes the poller. */
export class FlakyPoller extends Service {
  readonly polls = signal(0);
  #failNext = false;

  constructor() {
    super({ name: 'poller' });
  }

  /** Makes the next poll throw: the poller crashes and its supervisor restarts it. */
  failNextPoll(): void {
    this.#failNext = true;
  }

  @every('300ms')
  async poll(): Promise<void> {
    if (this.#failNext) {
      this.#failNext = false;
      throw new Error('poll failed');
    }
    this.polls.update((n) => n + 1);
  }
}

/** Restarts the poller after a crash, after a 1 s backoff (so the crash stays visible). */
export class PollerSupervisor extends OneForOneSupervisor {
  readonly poller = inject(FlakyPoller);

  constructor() {
    super({ name: 'supervisor', backoff: { initial: '1s', max: '5s' } });
    this.add(this.poller);
  }
}

/** A websocket-like feed: `run()` returns the stream of messages; each one lands in `messages`. */
export class Feed extends Service<string> {
  readonly messages = signal<string[]>([]);

  constructor() {
    super({ name: 'feed' });
  }

  protected override run() {
    return timer(0, 400, this.scheduler).pipe(
      map((n) => `message #${n + 1}`),
      tap((message) => this.messages.update((list) => [...list.slice(-4), message])),
    );
  }
}

/** Beats while the component that provides it is on screen. */
export class Heartbeat extends Service {
  readonly beats = signal(0);

  constructor() {
    super({ name: 'heartbeat' });
    this.addTimer('500ms', () => this.beats.update((n) => n + 1));
  }
}
