/**
 * A pure aggregate: `decide` turns a command and the current state into events (or throws a
 * `DomainError`), `evolve` folds one event into the state. Neither does I/O nor reads a clock or
 * random source: the handler stamps ids and times onto the events it appends.
 */
export interface Decider<State, Command, Event> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event[];
}

/** Folds a stream's events into state. */
export function fold<State, Event>(d: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>, events: Iterable<Event>): State {
  let state = d.initialState();
  for (const e of events) state = d.evolve(state, e);
  return state;
}
