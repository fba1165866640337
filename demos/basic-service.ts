/**
 * Mode's introductory example, in rxmode: a service whose `run()` loops until it should stop,
 * sleeping one second between rounds. Started, left running five seconds, then stopped.
 *
 *   npx tsx demos/basic-service.ts
 */
import { Service } from '../lib/index.js';

class MyService extends Service {
  protected override onStart(): void {
    console.log('Starting MyService');
  }

  protected override async run(): Promise<void> {
    while (!this.shouldStop) {
      console.log('Service running');
      await this.sleep('1s');
    }
  }

  protected override onStop(): void {
    console.log('Stopping MyService');
  }
}

const service = new MyService();
await service.start();
await new Promise((resolve) => setTimeout(resolve, 5000));
await service.stop();
console.log(`state: ${service.state}`);
