/** The Chat view (being built). */
export function ChatPage() {
  return <h1>Chat</h1>;
}
