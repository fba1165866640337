/**
 * The layout of the dashboard's tree graph (browser-safe, bundled into the page script): a tidy
 * left-to-right tree with one box per service, one column per depth, leaves stacked in tree order,
 * each parent level with the middle of its children, an edge from every parent to every child, and
 * an arc from every prerequisite to each sibling that names it in `after`.
 */
import type { ServiceSnapshot } from '../../../snapshot.js';

/** Sizes of the drawing, in SVG user units. */
export interface GraphMetrics {
  readonly boxWidth: number;
  readonly boxHeight: number;
  /** Between two columns (depths). */
  readonly gapX: number;
  /** Between two neighbouring boxes of a column. */
  readonly gapY: number;
  /** Around the whole drawing. */
  readonly margin: number;
}

/** The sizes the page uses. */
export const GRAPH_METRICS: GraphMetrics = { boxWidth: 168, boxHeight: 46, gapX: 40, gapY: 10, margin: 8 };

/** A placed service: `x`, `y` are the top-left corner of its box. */
export interface GraphBox {
  readonly snapshot: ServiceSnapshot;
  readonly depth: number;
  readonly x: number;
  readonly y: number;
}

/** A parent → child edge, from the middle of the parent's right side to the middle of the child's left side. */
export interface GraphEdge {
  readonly from: GraphBox;
  readonly to: GraphBox;
}

/**
 * A laid-out tree: boxes in pre-order (parents before their children), parent → child edges,
 * prerequisite → dependent edges between siblings (`after`), and the size.
 */
export interface GraphLayout {
  readonly boxes: readonly GraphBox[];
  readonly edges: readonly GraphEdge[];
  /** From each prerequisite to each sibling naming it in `after`; empty for a tree without `after`. */
  readonly siblingEdges: readonly GraphEdge[];
  readonly width: number;
  readonly height: number;
}

/** How far right of its column an arc between siblings one row apart reaches; farther rows reach farther. */
const ARC_REACH = 12;

/**
 * Lays a snapshot tree out left to right.
 *
 * @remarks Every leaf takes the next row, in pre-order; a parent sits level with the middle of its
 * first and last child; column `d` holds the services at depth `d`. No two boxes overlap, and the
 * drawing is as tall as the leaves need: service trees are usually shallow and wide, so they fit a
 * narrow panel this way. Siblings share a column, so an edge between them is an arc on the right
 * of that column (see {@link siblingEdgePath}); ids in `after` that are not siblings are ignored.
 * The drawing is widened when an arc of the last column needs it.
 * @example
 * ```ts
 * const { boxes, edges, width, height } = layoutTree(worker.toJSON());
 * ```
 */
export function layoutTree(root: ServiceSnapshot, metrics: GraphMetrics = GRAPH_METRICS): GraphLayout {
  const { boxWidth, boxHeight, gapX, gapY, margin } = metrics;
  const boxes: GraphBox[] = [];
  const edges: GraphEdge[] = [];
  const siblingEdges: GraphEdge[] = [];
  let rows = 0;
  let depthMax = 0;
  /** Places `node` and its subtree; returns its box. */
  const place = (node: ServiceSnapshot, depth: number): GraphBox => {
    depthMax = Math.max(depthMax, depth);
    const index = boxes.length;
    boxes.push(undefined as unknown as GraphBox); // reserved: parents come before their children
    const children = node.children.map((child) => place(child, depth + 1));
    let top: number;
    if (children.length === 0) {
      top = margin + rows * (boxHeight + gapY);
      rows++;
    } else {
      top = (children[0]!.y + children[children.length - 1]!.y) / 2;
    }
    const box: GraphBox = { snapshot: node, depth, x: margin + depth * (boxWidth + gapX), y: top };
    boxes[index] = box;
    for (const child of children) edges.push({ from: box, to: child });
    const byId = new Map(children.map((child) => [child.snapshot.id, child]));
    for (const child of children) {
      for (const id of child.snapshot.after ?? []) {
        const before = byId.get(id);
        if (before && before !== child) siblingEdges.push({ from: before, to: child });
      }
    }
    return box;
  };
  place(root, 0);
  let width = 2 * margin + (depthMax + 1) * (boxWidth + gapX) - gapX;
  for (const edge of siblingEdges) {
    width = Math.max(width, edge.from.x + boxWidth + arcReach(edge, metrics) + margin);
  }
  return { boxes, edges, siblingEdges, width, height: 2 * margin + rows * (boxHeight + gapY) - gapY };
}

/** How far right of the boxes the arc of a sibling edge reaches: more for siblings further apart. */
function arcReach(edge: GraphEdge, metrics: GraphMetrics): number {
  const rowsApart = Math.abs(edge.to.y - edge.from.y) / (metrics.boxHeight + metrics.gapY);
  return Math.min(metrics.gapX - 4, ARC_REACH + 4 * Math.round(rowsApart));
}

/**
 * The SVG path of an edge: a horizontal S-curve from the parent's right side to the child's left side.
 *
 * @example
 * ```ts
 * path.setAttribute('d', edgePath(edge));
 * ```
 */
export function edgePath(edge: GraphEdge, metrics: GraphMetrics = GRAPH_METRICS): string {
  const x1 = edge.from.x + metrics.boxWidth;
  const y1 = edge.from.y + metrics.boxHeight / 2;
  const x2 = edge.to.x;
  const y2 = edge.to.y + metrics.boxHeight / 2;
  const mid = (x1 + x2) / 2;
  return `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
}

/**
 * The SVG path of an edge between siblings (`after`): an arc on the right of their column, from the
 * prerequisite's right side to the dependent's, leaving and arriving off-centre so that it does not
 * run into the parent → child edges that leave from the middle.
 *
 * @example
 * ```ts
 * path.setAttribute('d', siblingEdgePath(layout.siblingEdges[0]!));
 * ```
 */
export function siblingEdgePath(edge: GraphEdge, metrics: GraphMetrics = GRAPH_METRICS): string {
  const x = edge.from.x + metrics.boxWidth;
  const isDown = edge.to.y >= edge.from.y;
  const y1 = edge.from.y + metrics.boxHeight * (isDown ? 0.75 : 0.25);
  const y2 = edge.to.y + metrics.boxHeight * (isDown ? 0.25 : 0.75);
  const bulge = x + (arcReach(edge, metrics) * 4) / 3; // a cubic's peak is 3/4 of its control points' reach
  return `M${x},${y1} C${bulge},${y1} ${bulge},${y2} ${x},${y2}`;
}
