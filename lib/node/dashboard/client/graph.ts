/**
 * The layout of the dashboard's tree graph (browser-safe, bundled into the page script): a tidy
 * left-to-right tree with one box per service, one column per depth, leaves stacked in tree order,
 * each parent level with the middle of its children, and an edge from every parent to every child.
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

/** A laid-out tree: boxes in pre-order (parents before their children), edges, and the size. */
export interface GraphLayout {
  readonly boxes: readonly GraphBox[];
  readonly edges: readonly GraphEdge[];
  readonly width: number;
  readonly height: number;
}

/**
 * Lays a snapshot tree out left to right.
 *
 * @remarks Every leaf takes the next row, in pre-order; a parent sits level with the middle of its
 * first and last child; column `d` holds the services at depth `d`. No two boxes overlap, and the
 * drawing is as tall as the leaves need: service trees are usually shallow and wide, so they fit a
 * narrow panel this way.
 * @example
 * ```ts
 * const { boxes, edges, width, height } = layoutTree(worker.toJSON());
 * ```
 */
export function layoutTree(root: ServiceSnapshot, metrics: GraphMetrics = GRAPH_METRICS): GraphLayout {
  const { boxWidth, boxHeight, gapX, gapY, margin } = metrics;
  const boxes: GraphBox[] = [];
  const edges: GraphEdge[] = [];
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
    return box;
  };
  place(root, 0);
  return {
    boxes,
    edges,
    width: 2 * margin + (depthMax + 1) * (boxWidth + gapX) - gapX,
    height: 2 * margin + rows * (boxHeight + gapY) - gapY,
  };
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
