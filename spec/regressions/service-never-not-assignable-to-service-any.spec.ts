// Regression: a Service<never> (`new Service()`, or any subclass without a `T`) was not assignable
// to Service<any>, so `parent.addDependency(child)` failed to type-check for a child held in a
// variable. The type check (`npm run typecheck`) is what catches it; the runtime part checks the tree.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';

class Database extends Service {}

describe('regression: Service<never> is assignable to Service<any>', () => {
  it('adds a plain Service and a T-less subclass held in variables as dependencies', async () => {
    const parent = new Service({ name: 'App' });
    const plain = new Service({ name: 'Plain' });
    const db = new Database();
    parent.addDependency(plain);
    parent.addDependency(db);
    const all: Service<any>[] = [parent, plain, db];
    await parent.start();
    expect(all.map((s) => s.state)).to.deep.equal(['running', 'running', 'running']);
    await parent.stop();
  });
});
