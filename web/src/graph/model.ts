import type { Schema } from '@mandant/client';

export type GraphView = Schema<'GraphView'>;
export type GraphNode = GraphView['nodes'][number];
export type GraphEdge = GraphView['edges'][number];

/** The most nodes drawn at once: beyond it the canvas gets slow to lay out and unreadable. */
export const DRAW_LIMIT = 300;
/** Up to this many nodes the force-directed layout settles fast enough; beyond, rings by weight. */
export const FORCE_LAYOUT_LIMIT = 120;

export const edgeKey = (e: Pick<GraphEdge, 'source' | 'target' | 'kind'>): string =>
  // relations are undirected: a–b and b–a are one edge
  e.source < e.target ? `${e.kind}:${e.source}:${e.target}` : `${e.kind}:${e.target}:${e.source}`;

/**
 * The drawn graph: the scope's graph with each expanded neighbourhood merged in. A node already
 * drawn keeps its own weight (the scope's mentions); a neighbourhood's closeness is not a count.
 * Edges whose ends are not both drawn are dropped, and at most `limit` nodes are kept (the
 * scope's first, then each neighbourhood's in the order it came).
 */
export function mergeGraphs(base: GraphView, extra: readonly GraphView[], limit = DRAW_LIMIT): GraphView {
  const nodes = new Map<string, GraphNode>();
  let truncated = base.truncated;
  for (const graph of [base, ...extra]) {
    for (const node of graph.nodes) {
      if (nodes.has(node.id)) continue;
      if (nodes.size >= limit) {
        truncated = true;
        break;
      }
      nodes.set(node.id, graph === base ? node : { ...node, weight: undefined });
    }
  }
  const edges = new Map<string, GraphEdge>();
  for (const graph of [base, ...extra]) {
    for (const edge of graph.edges) {
      if (!nodes.has(edge.source) || !nodes.has(edge.target)) continue;
      const key = edgeKey(edge);
      const known = edges.get(key);
      if (!known || (edge.weight ?? 0) > (known.weight ?? 0)) edges.set(key, edge);
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], truncated };
}

/** Nodes whose label contains the filter (case- and accent-insensitive), by label. */
export function filterNodes(nodes: readonly GraphNode[], filter: string): GraphNode[] {
  const fold = (s: string) =>
    s
      .normalize('NFD')
      .replace(/\p{Diacritic}/gu, '')
      .toLowerCase();
  const wanted = fold(filter.trim());
  return nodes.filter((n) => wanted === '' || fold(n.label).includes(wanted)).sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * Colours for projects, distinguishable for the common colour-vision deficiencies (Okabe–Ito,
 * darkened so white labels on them keep contrast), then greys.
 */
export const PROJECT_COLOURS = ['#0b6aa8', '#b35900', '#007a5e', '#a3477b', '#6f5d00', '#3f4fa0', '#8a3b12', '#2d6e2d'] as const;
/** Nodes that appear in several projects, and the single-project colour of project view. */
export const SHARED_COLOUR = '#4b5563';
export const DEFAULT_COLOUR = '#1f5fbf';

/**
 * A colour per project, stable for a given list of projects (in the order given): the first
 * projects get the palette, the rest share the last grey.
 */
export function projectColours(projectIds: readonly string[]): Map<string, string> {
  const colours = new Map<string, string>();
  projectIds.forEach((id, i) => colours.set(id, PROJECT_COLOURS[i] ?? '#6b7280'));
  return colours;
}

/** A node's colour in global view: its project's, or the shared colour when it is in several (or unknown). */
export function nodeColour(projectIds: readonly string[] | undefined, colours: ReadonlyMap<string, string>): string {
  if (!projectIds || projectIds.length !== 1) return SHARED_COLOUR;
  return colours.get(projectIds[0] ?? '') ?? SHARED_COLOUR;
}

/** Node diameter in pixels from its weight (mentions): grows with the square root, bounded. */
export const nodeSize = (weight: number | undefined): number => Math.round(18 + Math.min(36, 4 * Math.sqrt(Math.max(0, weight ?? 1))));
