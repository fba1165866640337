// avvio (9.3.1, fastify's boot sequencer) on the lifecycle workloads W1–W3. A service is a plugin: it
// registers its children with `instance.use`, reports running from `instance.after` (which runs once
// they loaded) and stopped from an `onClose` hook; close() runs those hooks last in, first out, so a
// parent (registered first) stops after its children. avvio loads one plugin at a time.
import avvio from 'avvio';
import { CHURN_CHILDREN, FLAT_CHILDREN, TREE_NODES, churn, fanOut, lifecycle, main } from '../harness.ts';

function application(childrenAt, seen) {
  const app = avvio({}, { autostart: false });
  const plugin = (level) =>
    async function service(instance) {
      const node = { state: 'starting' };
      seen.push(node);
      instance.onClose(() => {
        node.state = 'stopped';
      });
      const n = childrenAt(level);
      if (n === 0) {
        node.state = 'running';
        return;
      }
      for (let i = 0; i < n; i++) instance.use(plugin(level + 1));
      instance.after((error, done) => {
        if (error) throw error;
        node.state = 'running';
        done();
      });
    };
  app.use(plugin(0));
  return app;
}

function underTest(childrenAt, expected) {
  const seen = [];
  let app;
  const all = (state) => seen.length === expected && seen.every((node) => node.state === state);
  return {
    start: () => {
      app = application(childrenAt, seen);
      return app.ready();
    },
    stop: () => app.close(),
    allRunning: () => all('running'),
    allStopped: () => all('stopped'),
  };
}

const VARIANTS = { w1: ['plugin'], w2: ['plugin'], w3: ['plugin'] };

async function run(workload, variant) {
  const subject = { impl: 'avvio', variant };
  switch (workload) {
    case 'w1':
      return lifecycle({ ...subject, workload, nodes: FLAT_CHILDREN + 1 }, () =>
        underTest((level) => (level === 0 ? FLAT_CHILDREN : 0), FLAT_CHILDREN + 1),
      );
    case 'w2':
      return lifecycle({ ...subject, workload, nodes: TREE_NODES }, () => underTest(fanOut, TREE_NODES));
    case 'w3':
      return churn(subject, async () => {
        const tree = underTest((level) => (level === 0 ? CHURN_CHILDREN : 0), 4);
        await tree.start();
        if (!tree.allRunning()) throw new Error('not running');
        await tree.stop();
        if (!tree.allStopped()) throw new Error('not stopped');
      });
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

await main(VARIANTS, run);
