/**
 * The SIGUSR1 tree dump and the activity list of `blocked` events.
 */
import { expect } from 'chai';
import type { ServiceSnapshot } from '../../lib/index.js';
import { activityOf, formatTree } from '../../lib/node/index.js';

function node(
  path: string,
  extra: Partial<ServiceSnapshot> = {},
  children: ServiceSnapshot[] = [],
): ServiceSnapshot {
  const name = path.split('/').at(-1)!;
  return { id: path, name, path, state: 'running', since: 0, restartCount: 0, flags: [], children, ...extra };
}

const tree = node('Worker', { since: 1000 }, [
  node('Worker/Db', { since: 2500, flags: ['vacuuming'] }, [
    node('Worker/Db/Pool', { state: 'stopping', since: 9000 }),
  ]),
  node('Worker/Api', { state: 'crashed', since: 9900, restartCount: 3, crashReason: 'port in use' }),
]);

describe('formatTree()', () => {
  it('writes one line per service: path by depth, state, time in state, pending work', () => {
    expect(formatTree(tree, 10_000)).to.deep.equal([
      'Worker              running   for 9.00 seconds  pending: none',
      '  Worker/Db         running   for 7.50 seconds  pending: vacuuming',
      '    Worker/Db/Pool  stopping  for 1.00 second  pending: none',
      '  Worker/Api        crashed   for 100 ms  restarts: 3  pending: none  crash: port in use',
    ]);
  });
});

describe('activityOf()', () => {
  it('names the services starting or stopping and every flag set', () => {
    expect(activityOf(tree)).to.deep.equal(['Worker/Db:vacuuming', 'Worker/Db/Pool (stopping)']);
    expect(activityOf(node('Idle'))).to.deep.equal([]);
  });
});
