// Regression: removeDependency(db) is refused while a sibling names db in `after` (API.md section
// 3.6), but moving db to another parent with other.addDependency(db) was accepted and left the
// sibling's edge behind: the snapshot of `cache` still listed db's id in `after` although db was no
// longer its sibling. Either the move is refused or the edge goes with it; no `after` may name a
// service that is not a sibling.
import { expect } from 'chai';
import { Service, type ServiceSnapshot } from '../../lib/index.js';

/** `child: id` for every `after` id of a snapshot that is not a sibling's id. */
function danglingEdges(snapshot: ServiceSnapshot): string[] {
  const siblings = new Set(snapshot.children.map((child) => child.id));
  return snapshot.children.flatMap((child) => [
    ...(child.after ?? []).filter((id) => !siblings.has(id)).map((id) => `${child.name}: ${id}`),
    ...danglingEdges(child),
  ]);
}

describe('regression: moving a prerequisite to another parent', () => {
  it('leaves no after naming a service that is not a sibling', () => {
    const app = new Service({ name: 'app' });
    const db = app.addDependency(new Service({ name: 'db' }));
    app.addDependency(new Service({ name: 'cache' }), { after: db });
    const other = new Service({ name: 'other' });
    try {
      other.addDependency(db);
    } catch {
      // refusing the move is one way to keep the graph whole
    }
    expect(danglingEdges(app.toJSON())).to.deep.equal([]);
  });
});
