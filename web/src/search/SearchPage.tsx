/** The Search view (being built). */
export function SearchPage() {
  return <h1>Search</h1>;
}
