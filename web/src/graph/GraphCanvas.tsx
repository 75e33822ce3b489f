import cytoscape from 'cytoscape';
import { useEffect, useRef } from 'react';
import { FORCE_LAYOUT_LIMIT, type GraphView, nodeSize } from './model.ts';

// Cytoscape adds a <style> element with this id unless one exists; the CSP refuses inline
// styles, so an empty placeholder takes its place and graph.css holds the rule it would add.
const CYTOSCAPE_STYLESHEET = '__________cytoscape_stylesheet';
function preventInlineStylesheet(): void {
  if (document.getElementById(CYTOSCAPE_STYLESHEET)) return;
  const placeholder = document.createElement('meta');
  placeholder.id = CYTOSCAPE_STYLESHEET;
  document.head.appendChild(placeholder);
}

/**
 * The graph drawn with Cytoscape. Hidden from assistive technology: the list of entities beside
 * it holds the same nodes as buttons. Redrawn when the graph changes; the selection only restyles.
 */
export function GraphCanvas({
  graph,
  colourOf,
  selected,
  onSelect,
}: {
  graph: GraphView;
  colourOf: (id: string) => string;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const cy = useRef<cytoscape.Core | null>(null);
  const select = useRef(onSelect);
  useEffect(() => {
    select.current = onSelect;
  }, [onSelect]);

  useEffect(() => {
    if (!container.current) return;
    preventInlineStylesheet();
    const instance = cytoscape({
      container: container.current,
      elements: [
        ...graph.nodes.map((n) => ({
          data: { id: n.id, label: n.label, colour: colourOf(n.id), size: nodeSize(n.weight) },
        })),
        ...graph.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, weight: e.weight ?? 0.5 } })),
      ],
      style: [
        {
          selector: 'node',
          style: {
            'background-color': 'data(colour)',
            label: 'data(label)',
            width: 'data(size)',
            height: 'data(size)',
            'font-size': 11,
            color: '#1d2430',
            'text-valign': 'bottom',
            'text-margin-y': 3,
            'text-background-color': '#ffffff',
            'text-background-opacity': 0.8,
            'text-background-padding': '1px',
          },
        },
        { selector: 'node.chosen', style: { 'border-width': 4, 'border-color': '#111827', 'font-weight': 'bold' } },
        {
          selector: 'edge',
          style: { width: 'mapData(weight, 0, 1, 1, 4)', 'line-color': '#9aa4b2', 'curve-style': 'haystack', opacity: 0.8 },
        },
      ],
      // fast to settle on a busy machine: no animation, rings by weight for big graphs
      layout:
        graph.nodes.length <= FORCE_LAYOUT_LIMIT
          ? { name: 'cose', animate: false, randomize: true, numIter: 600, nodeRepulsion: () => 9000, padding: 40 }
          : {
              name: 'concentric',
              animate: false,
              concentric: (n: cytoscape.NodeSingular) => Number(n.data('size')),
              levelWidth: () => 6,
              padding: 40,
            },
      wheelSensitivity: 0.3,
      minZoom: 0.1,
      maxZoom: 4,
    });
    instance.on('tap', 'node', (event) => select.current((event.target as cytoscape.NodeSingular).id()));
    cy.current = instance;
    return () => {
      instance.destroy();
      cy.current = null;
    };
  }, [graph, colourOf]);

  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    instance.nodes('.chosen').removeClass('chosen');
    if (selected) {
      const node = instance.getElementById(selected);
      if (node.nonempty()) {
        node.addClass('chosen');
        instance.animate({ center: { eles: node } }, { duration: 0 });
      }
    }
  }, [selected, graph, colourOf]);

  return <div ref={container} className="graph-canvas" aria-hidden="true" />;
}
