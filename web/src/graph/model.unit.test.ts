import { describe, expect, it } from 'vitest';
import { type GraphView, SHARED_COLOUR, filterNodes, mergeGraphs, nodeColour, nodeSize, projectColours } from './model.ts';

const node = (id: string, label = id, weight?: number) => ({ id, label, kind: 'entity' as const, type: 'person', weight });
const rel = (source: string, target: string, weight?: number) => ({ source, target, kind: 'RELATED_TO' as const, weight });

describe('mergeGraphs', () => {
  const base: GraphView = { nodes: [node('a', 'A', 5), node('b', 'B', 2)], edges: [rel('a', 'b', 0.4)], truncated: false };

  it('adds a neighbourhood’s new nodes and edges and keeps the scope’s weights of nodes drawn already', () => {
    const merged = mergeGraphs(base, [{ nodes: [node('a', 'A', 1), node('c', 'C', 0.5)], edges: [rel('c', 'a', 0.9)], truncated: false }]);
    expect(merged.nodes.map((n) => [n.id, n.weight])).toEqual([
      ['a', 5],
      ['b', 2],
      ['c', undefined],
    ]);
    expect(merged.edges).toHaveLength(2);
    expect(merged.truncated).toBe(false);
  });

  it('counts an undirected edge once, with its strongest weight', () => {
    const merged = mergeGraphs(base, [{ nodes: [node('a'), node('b')], edges: [rel('b', 'a', 0.8)], truncated: false }]);
    expect(merged.edges).toEqual([rel('b', 'a', 0.8)]);
  });

  it('stops at the limit, says so, and drops edges to nodes left out', () => {
    const merged = mergeGraphs(base, [{ nodes: [node('c'), node('d')], edges: [rel('a', 'd')], truncated: false }], 3);
    expect(merged.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(merged.edges).toEqual([rel('a', 'b', 0.4)]);
    expect(merged.truncated).toBe(true);
  });
});

describe('filterNodes', () => {
  it('matches any part of the name, ignoring case and accents, sorted by name', () => {
    const nodes = [node('1', 'Zoë Müller'), node('2', 'Acme'), node('3', 'Muller GmbH')];
    expect(filterNodes(nodes, 'MULL').map((n) => n.id)).toEqual(['3', '1']);
    expect(filterNodes(nodes, '  ').map((n) => n.id)).toEqual(['2', '3', '1']);
  });
});

describe('colours', () => {
  it('gives each project its own colour and a node in several projects the shared one', () => {
    const colours = projectColours(['p1', 'p2']);
    expect(colours.get('p1')).not.toBe(colours.get('p2'));
    expect(nodeColour(['p2'], colours)).toBe(colours.get('p2'));
    expect(nodeColour(['p1', 'p2'], colours)).toBe(SHARED_COLOUR);
    expect(nodeColour(undefined, colours)).toBe(SHARED_COLOUR);
  });

  it('sizes nodes by mentions within bounds', () => {
    expect(nodeSize(undefined)).toBe(22);
    expect(nodeSize(1_000_000)).toBe(54);
    expect(nodeSize(-3)).toBe(18);
  });
});
