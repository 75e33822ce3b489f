/**
 * What a page of events does to the rows of one view table, folded in memory so that each row is
 * written once per page, by a few set-based statements, instead of once per event.
 *
 * The fold knows the operations per-event projections send one row at a time: insert a row unless
 * it exists (`insertIfAbsent`, an `insert … on conflict do nothing`), change some columns of the
 * row if it exists (`change`, an `update`, with `set` columns and `greatest` columns that only
 * move forward), and delete it (`remove`). A row's state before the page is not read: the fold
 * keeps what the page implies whatever it was, and `writes()` says what to send so that the rows
 * end exactly as the same operations one event after another would leave them:
 *
 * 1. `removed`: delete these keys (each is then inserted again by 3 when it ends present);
 * 2. `changed`: update these keys where they exist, with the combined change;
 * 3. `added`: insert these rows where absent (`on conflict do nothing`).
 *
 * Sent in that order (a table-wide delete the caller does itself goes first, after which the
 * affected keys are `removed` here too): an update in 2 reaches only a row that existed before the
 * page (with the changes made before its insert in the page as well as after), and a row inserted
 * in 3 already carries every change made after its insert.
 */

/** Column values to set, and columns to move to at least a time (ISO-8601 strings), as `greatest(col, t)`. */
export interface Change {
  set: Record<string, unknown>;
  greatest: Record<string, string>;
}

type Row = Record<string, unknown>;

/** A row whose state before the page is unknown (`insert`: the row an insert-if-absent made), or one the page decided (`row`). */
type Fate = { known: false; before: Change; insert?: Row; after: Change } | { known: true; row: Row | null };

const none = (): Change => ({ set: {}, greatest: {} });
const later = (a: string | undefined, b: string): string => (a !== undefined && Date.parse(a) >= Date.parse(b) ? a : b);

/** `c` followed by `next`. */
function then(c: Change, next: Change): Change {
  const out: Change = { set: { ...c.set }, greatest: { ...c.greatest } };
  for (const [col, v] of Object.entries(next.set)) {
    out.set[col] = v;
    delete out.greatest[col];
  }
  for (const [col, t] of Object.entries(next.greatest)) {
    if (col in out.set) out.set[col] = out.set[col] == null ? t : later(out.set[col] as string, t);
    else out.greatest[col] = later(out.greatest[col], t);
  }
  return out;
}

/** `row` after `c` (`greatest` of null and a time is the time, as in SQL). */
function applied(row: Row, c: Change): Row {
  const out: Row = { ...row, ...c.set };
  for (const [col, t] of Object.entries(c.greatest)) out[col] = out[col] == null ? t : later(out[col] as string, t);
  return out;
}

const isEmpty = (c: Change): boolean => Object.keys(c.set).length === 0 && Object.keys(c.greatest).length === 0;

export interface RowWrites<K> {
  removed: K[];
  changed: Array<{ key: K; change: Change }>;
  added: Row[];
}

export class RowFold<K> {
  private readonly fates = new Map<string, { key: K; fate: Fate }>();
  constructor(private readonly id: (key: K) => string) {}

  private fateOf(key: K): Fate {
    return this.fates.get(this.id(key))?.fate ?? { known: false, before: none(), after: none() };
  }
  private put(key: K, fate: Fate): void {
    this.fates.set(this.id(key), { key, fate });
  }

  /** `insert … on conflict do nothing` of `row` (every column, defaults written out). */
  insertIfAbsent(key: K, row: Row): void {
    const f = this.fateOf(key);
    if (f.known) this.put(key, f.row ? f : { known: true, row });
    else if (!f.insert) this.put(key, { ...f, insert: row });
  }

  /** `update … set` of the row if it exists. */
  change(key: K, change: Partial<Change>): void {
    const c: Change = { set: change.set ?? {}, greatest: change.greatest ?? {} };
    const f = this.fateOf(key);
    if (f.known) this.put(key, f.row ? { known: true, row: applied(f.row, c) } : f);
    else if (f.insert) this.put(key, { ...f, after: then(f.after, c) });
    else this.put(key, { ...f, before: then(f.before, c) });
  }

  /** `delete` of the row. */
  remove(key: K): void {
    this.put(key, { known: true, row: null });
  }

  /** `remove` of every key folded so far that `match` picks (the caller deletes the others in the database itself). */
  removeWhere(match: (key: K) => boolean): void {
    for (const { key } of [...this.fates.values()]) if (match(key)) this.remove(key);
  }

  writes(): RowWrites<K> {
    const out: RowWrites<K> = { removed: [], changed: [], added: [] };
    for (const { key, fate } of this.fates.values()) {
      if (fate.known) {
        out.removed.push(key);
        if (fate.row) out.added.push(fate.row);
        continue;
      }
      const change = then(fate.before, fate.after);
      if (!isEmpty(change)) out.changed.push({ key, change });
      if (fate.insert) out.added.push(applied(fate.insert, fate.after));
    }
    return out;
  }
}
