/**
 * The layout of the dashboard's graph: one box per service, no overlaps, parents level with the
 * middle of their children, one edge per parent → child pair, and a drawing that holds every box.
 */
import { expect } from 'chai';
import type { ServiceSnapshot } from '../../../lib/index.js';
import {
  edgePath,
  GRAPH_METRICS,
  layoutTree,
  type GraphBox,
} from '../../../lib/node/dashboard/client/graph.js';

let nextId = 0;
function node(name: string, ...children: ServiceSnapshot[]): ServiceSnapshot {
  return {
    id: String(++nextId),
    name,
    path: name,
    state: 'running',
    since: 0,
    restartCount: 0,
    flags: [],
    children,
  };
}

const overlap = (a: GraphBox, b: GraphBox): boolean =>
  a.x < b.x + GRAPH_METRICS.boxWidth &&
  b.x < a.x + GRAPH_METRICS.boxWidth &&
  a.y < b.y + GRAPH_METRICS.boxHeight &&
  b.y < a.y + GRAPH_METRICS.boxHeight;

describe('layoutTree()', () => {
  const tree = node(
    'Worker',
    node('Db'),
    node('Api', node('Cache'), node('Http', node('Router'))),
    node('Jobs', node('Mailer')),
  );

  it('places every service once, parents before children, one column per depth', () => {
    const { boxes } = layoutTree(tree);
    expect(boxes.map((b) => b.snapshot.name)).to.deep.equal([
      'Worker',
      'Db',
      'Api',
      'Cache',
      'Http',
      'Router',
      'Jobs',
      'Mailer',
    ]);
    expect(boxes.map((b) => b.depth)).to.deep.equal([0, 1, 1, 2, 2, 3, 1, 2]);
    for (const box of boxes)
      expect(box.x).to.equal(
        GRAPH_METRICS.margin + box.depth * (GRAPH_METRICS.boxWidth + GRAPH_METRICS.gapX),
      );
  });

  it('never overlaps two boxes, and keeps every box inside the drawing', () => {
    const { boxes, width, height } = layoutTree(tree);
    for (const a of boxes) {
      expect(a.x).to.be.at.least(0);
      expect(a.y).to.be.at.least(0);
      expect(a.x + GRAPH_METRICS.boxWidth).to.be.at.most(width);
      expect(a.y + GRAPH_METRICS.boxHeight).to.be.at.most(height);
      for (const b of boxes)
        if (a !== b) expect(overlap(a, b), `${a.snapshot.name} / ${b.snapshot.name}`).to.equal(false);
    }
  });

  it('sets each parent level with the middle of its first and last child, with one edge per child', () => {
    const { boxes, edges } = layoutTree(tree);
    const byName = new Map(boxes.map((b) => [b.snapshot.name, b]));
    expect(byName.get('Api')!.y).to.equal((byName.get('Cache')!.y + byName.get('Http')!.y) / 2);
    expect(byName.get('Http')!.y).to.equal(byName.get('Router')!.y);
    expect(edges.map((e) => `${e.from.snapshot.name}→${e.to.snapshot.name}`)).to.have.members([
      'Worker→Db',
      'Worker→Api',
      'Worker→Jobs',
      'Api→Cache',
      'Api→Http',
      'Http→Router',
      'Jobs→Mailer',
    ]);
    const [first] = edges;
    expect(edgePath(first!)).to.match(/^M[\d.]+,[\d.]+ C[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+$/);
  });

  it('draws a single service as one box', () => {
    const { boxes, edges, width, height } = layoutTree(node('Alone'));
    expect(boxes).to.have.length(1);
    expect(edges).to.have.length(0);
    expect([width, height]).to.deep.equal([
      GRAPH_METRICS.boxWidth + 2 * GRAPH_METRICS.margin,
      GRAPH_METRICS.boxHeight + 2 * GRAPH_METRICS.margin,
    ]);
  });
});
