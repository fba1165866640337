/**
 * The layout of the dashboard's graph: one box per service, no overlaps, parents level with the
 * middle of their children, one edge per parent → child pair, one arc per `after` pair of siblings,
 * and a drawing that holds every box and arc.
 */
import { expect } from 'chai';
import type { ServiceSnapshot } from '../../../lib/index.js';
import {
  edgePath,
  GRAPH_METRICS,
  layoutTree,
  siblingEdgePath,
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

  it('draws no sibling edge for a tree without after, and no wider than its columns', () => {
    const { siblingEdges, width } = layoutTree(tree);
    expect(siblingEdges).to.deep.equal([]);
    const { gapX, boxWidth, margin } = GRAPH_METRICS;
    expect(width).to.equal(2 * margin + 4 * (boxWidth + gapX) - gapX);
  });

  it('draws one arc per prerequisite → dependent pair of siblings, on the right of their column', () => {
    const db = node('Db');
    const cache = { ...node('Cache'), after: [db.id] };
    const router = node('Router');
    const handlers = { ...node('Handlers'), after: [router.id, 'not-a-sibling'] };
    const api = { ...node('Api', router, handlers), after: [db.id, cache.id] };
    const app = node('App', db, cache, api);
    const plain = layoutTree({ ...app, children: [db, node('Cache'), node('Api', node('R'), node('H'))] });
    const layout = layoutTree(app);
    expect(layout.siblingEdges.map((e) => `${e.from.snapshot.name}→${e.to.snapshot.name}`)).to.deep.equal([
      'Router→Handlers',
      'Db→Cache',
      'Db→Api',
      'Cache→Api',
    ]);
    // the boxes and the tree edges are where they are without after
    expect(layout.boxes.map((b) => [b.x, b.y])).to.deep.equal(plain.boxes.map((b) => [b.x, b.y]));
    expect(layout.edges).to.have.length(plain.edges.length);
    for (const edge of layout.siblingEdges) {
      const path = siblingEdgePath(edge);
      const numbers = path.match(/-?[\d.]+/g)!.map(Number);
      const xs = numbers.filter((_, i) => i % 2 === 0);
      const ys = numbers.filter((_, i) => i % 2 === 1);
      const right = edge.from.x + GRAPH_METRICS.boxWidth;
      // it leaves the prerequisite's right side and ends on the dependent's
      expect([xs[0], xs[xs.length - 1]]).to.deep.equal([right, right]);
      expect(ys[0]).to.be.within(edge.from.y, edge.from.y + GRAPH_METRICS.boxHeight);
      expect(ys[ys.length - 1]).to.be.within(edge.to.y, edge.to.y + GRAPH_METRICS.boxHeight);
      // it bulges into the gap before the next column, never into it, and stays in the drawing
      const peak = right + (3 / 4) * (Math.max(...xs) - right);
      expect(peak).to.be.above(right);
      expect(peak).to.be.below(right + GRAPH_METRICS.gapX);
      expect(peak).to.be.at.most(layout.width);
    }
    // an arc in the last column widens the drawing so that it fits
    expect(layout.width).to.be.above(plain.width);
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
