/** The Graph view (being built). */
export function GraphPage() {
  return <h1>Graph</h1>;
}
