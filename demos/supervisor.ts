/**
 * A flaky connection under a OneForOneSupervisor: every crash is restarted after an exponential
 * backoff (with jitter) while its steady sibling keeps running, until the restart intensity limit
 * is reached and the supervisor gives up, crashing its parent with MaxRestartsExceededError.
 *
 *   npx tsx demos/supervisor.ts      (ends by itself in about two seconds)
 */
import {
  OneForOneSupervisor,
  Service,
  humanizeDuration,
  isServiceError,
  type LifecycleEvent,
} from '../lib/index.js';

/** Connects, then loses the connection 80 ms later, every time. */
class FlakyConnection extends Service {
  attempts = 0;
  protected override async run(): Promise<void> {
    this.attempts++;
    if (await this.sleep('80ms')) throw new Error(`connection reset (attempt ${this.attempts})`);
  }
}

/** Counts ticks; never fails. */
class Heartbeat extends Service {
  beats = 0;
  constructor() {
    super({ name: 'Heartbeat' });
    this.addTimer('250ms', () => void this.beats++);
  }
}

const connection = new FlakyConnection({ name: 'Connection' });
const heartbeat = new Heartbeat();
const supervisor = new OneForOneSupervisor({
  name: 'Supervisor',
  maxRestarts: 4,
  over: '10s',
  backoff: { initial: '100ms', max: '800ms', jitter: 0.1 },
}).add(heartbeat, connection);
const app = new Service({ name: 'App', stopTimeout: '5s' });
app.addDependency(supervisor);

let t0 = 0;
const at = (event: LifecycleEvent): string => `+${String(Math.round(event.at - t0)).padStart(5)} ms`;

app.events$.subscribe((event) => {
  switch (event.type) {
    case 'crash': {
      const message = event.error instanceof Error ? event.error.message : String(event.error);
      console.log(`${at(event)}  ${event.service.path} crashed: ${message}`);
      break;
    }
    case 'supervisor': {
      const when = event.decision === 'restart' ? ` in ${humanizeDuration(event.delayMs)}` : '';
      console.log(
        `${at(event)}  decision for ${event.child.path}: ${event.decision} (attempt ${event.attempt})${when}`,
      );
      break;
    }
    case 'state':
      if (event.to === 'running' && event.service.path === connection.path) {
        console.log(
          `${at(event)}  ${event.service.path} is running${connection.restartCount > 0 ? ' again' : ''}`,
        );
      }
      break;
    default:
  }
});

t0 = supervisor.scheduler.now();
console.log('starting App → Supervisor → [Heartbeat, Connection]');
await app.start();
await app.waitUntilStopped();

const reason = app.crashReason;
console.log(`\nApp is ${app.state}.`);
if (isServiceError(reason)) console.log(`Reason: ${reason.name} (${reason.code}): ${reason.message}`);
console.log(
  `Connection started ${connection.attempts} times; Heartbeat beat ${heartbeat.beats} times and ` +
    `was restarted ${heartbeat.restartCount} times before the supervisor gave up.`,
);
