import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Schema } from '@mandant/client';
import { api, unwrap } from '../api.ts';
import { type Scope, scopePath, useMyProjects, useScope } from '../scope.tsx';
import { ProblemAlert } from '../shell/ProblemAlert.tsx';
import { titleOf } from '../files/format.ts';
import {
  DOCUMENT_TYPES,
  MODES,
  PAGE_SIZE,
  type SearchParamsState,
  dateProblem,
  readSearch,
  searchBody,
  snippetParts,
  writeSearch,
} from './query.ts';
import './search.css';

type Hit = Schema<'SearchResult'>['hits'][number];

const MODE_LABELS = { hybrid: 'Hybrid', keyword: 'Keyword', vector: 'Vector' } as const;

/** Search: the scope's passages by keyword, meaning or both, with filters; the search lives in the URL. */
export function SearchPage() {
  const scope = useScope();
  const [params, setParams] = useSearchParams();
  const current = readSearch(params);
  const scopeKey = scope.kind === 'global' ? 'global' : scope.slug;
  const body = searchBody(current);
  const results = useQuery({
    queryKey: ['search', scopeKey, body],
    enabled: body.query.length > 0 && !dateProblem(current),
    staleTime: 30_000,
    queryFn: async () =>
      scope.kind === 'global'
        ? unwrap(await api.POST('/search', { body }))
        : unwrap(await api.POST('/projects/{id}/search', { params: { path: { id: scope.slug } }, body })),
  });

  const run = (next: SearchParamsState) => {
    const nextParams = writeSearch(next);
    // the same search again asks again: the corpus may have changed since
    if (nextParams.toString() === writeSearch(current).toString()) void results.refetch();
    else setParams(nextParams);
  };

  return (
    <div className="search-page">
      <h1>Search</h1>
      <SearchForm urlKey={params.toString()} initial={current} onSearch={run} />
      {results.error ? <ProblemAlert error={results.error} /> : null}
      {body.query && results.isFetching && !results.data ? <p aria-busy="true">Searching…</p> : null}
      {results.data ? (
        <Results hits={results.data.hits} scope={scope} search={current} onPage={(page) => run({ ...current, page })} />
      ) : null}
    </div>
  );
}

function SearchForm({
  urlKey,
  initial,
  onSearch,
}: {
  urlKey: string;
  initial: SearchParamsState;
  onSearch: (s: SearchParamsState) => void;
}) {
  const [form, setForm] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);
  // the URL changed (a search run, back, a restored project): the form shows it, keeping the focus where it is
  const [shown, setShown] = useState(urlKey);
  if (shown !== urlKey) {
    setShown(urlKey);
    setForm(initial);
  }
  const ids = { q: useId(), mode: useId(), type: useId(), from: useId(), to: useId(), entity: useId() };
  const set = (patch: Partial<SearchParamsState>) => setForm((f) => ({ ...f, ...patch }));
  const submit = (e?: FormEvent, next = form) => {
    e?.preventDefault();
    const wrong = dateProblem(next);
    setProblem(wrong);
    if (!wrong && next.q.trim()) onSearch({ ...next, q: next.q.trim(), page: 1 });
  };
  return (
    <form role="search" className="search-form" onSubmit={submit}>
      <div className="search-row">
        <label htmlFor={ids.q} className="visually-hidden">
          Search
        </label>
        <input
          id={ids.q}
          type="search"
          className="search-input"
          placeholder="Names, places, amounts, phrases…"
          value={form.q}
          onChange={(e) => set({ q: e.target.value })}
          maxLength={1000}
          autoComplete="off"
        />
        <button type="submit">Search</button>
      </div>
      <div className="search-options">
        <div role="radiogroup" aria-labelledby={ids.mode} className="modes">
          <span id={ids.mode} className="option-label">
            Mode
          </span>
          {MODES.map((mode) => (
            <label key={mode} className="mode">
              <input
                type="radio"
                name="mode"
                value={mode}
                checked={form.mode === mode}
                onChange={() => {
                  const next = { ...form, mode };
                  setForm(next);
                  // another mode of the same query: asked at once
                  if (next.q.trim()) submit(undefined, next);
                }}
              />
              {MODE_LABELS[mode]}
            </label>
          ))}
        </div>
        <div className="filter">
          <label htmlFor={ids.type}>Type</label>
          <select id={ids.type} value={form.type} onChange={(e) => set({ type: e.target.value })}>
            <option value="">Any</option>
            {DOCUMENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor={ids.from}>From</label>
          <input
            id={ids.from}
            type="text"
            inputMode="numeric"
            placeholder="YYYY-MM-DD"
            size={11}
            value={form.from}
            onChange={(e) => set({ from: e.target.value.trim() })}
            aria-invalid={problem?.startsWith('From') ? true : undefined}
          />
        </div>
        <div className="filter">
          <label htmlFor={ids.to}>To</label>
          <input
            id={ids.to}
            type="text"
            inputMode="numeric"
            placeholder="YYYY-MM-DD"
            size={11}
            value={form.to}
            onChange={(e) => set({ to: e.target.value.trim() })}
            aria-invalid={problem?.startsWith('To') ? true : undefined}
          />
        </div>
        <div className="filter">
          <label htmlFor={ids.entity}>Entity</label>
          <input
            id={ids.entity}
            type="text"
            placeholder="a person, company, place"
            value={form.entity}
            onChange={(e) => set({ entity: e.target.value })}
            maxLength={200}
          />
        </div>
      </div>
      {problem ? (
        <p role="alert" className="form-problem">
          {problem}
        </p>
      ) : null}
    </form>
  );
}

function Results({
  hits,
  scope,
  search,
  onPage,
}: {
  hits: Hit[];
  scope: Scope;
  search: SearchParamsState;
  onPage: (page: number) => void;
}) {
  const projects = useMyProjects();
  const names = new Map((projects.data ?? []).map((p) => [p.id, p.name]));
  const first = (search.page - 1) * PAGE_SIZE + 1;
  const allWeak = hits.length > 0 && hits.every((h) => h.match === 'weak');
  return (
    <section className="results" aria-label="Search results">
      <p className="results-summary" role="status">
        {hits.length === 0
          ? search.page > 1
            ? 'No more results.'
            : `Nothing found for “${search.q}”.`
          : `Results ${first}–${first + hits.length - 1} for “${search.q}”`}
      </p>
      {allWeak ? <p className="notice">Only loosely related passages: nothing here is clearly about this query.</p> : null}
      <ol className="hits" aria-label="Results" start={first}>
        {hits.map((hit) => (
          <li key={`${hit.document_id}-${hit.chunk_id}`} className={`hit ${hit.match}`}>
            <div className="hit-head">
              <Link className="hit-title" to={scopePath(scope, `files/${hit.document_id}?chunk=${encodeURIComponent(hit.chunk_id)}`)}>
                {titleOf({ title: hit.title, kind: hit.document_type })}
              </Link>
              {scope.kind === 'global'
                ? hit.project_ids.map((id) => (
                    <span key={id} className="badge">
                      {names.get(id) ?? 'another project'}
                    </span>
                  ))
                : null}
            </div>
            <p className="snippet">
              {snippetParts(hit.snippet, search.q).map((part, i) =>
                part.mark ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>,
              )}
            </p>
            <p className="hit-meta">
              <span className={`strength ${hit.match}`}>{hit.match === 'strong' ? 'Strong match' : 'Weak match'}</span>
              <span title="The ranking score: higher is better">score {hit.score.toFixed(3)}</span>
              <span>found by {hit.found_by.join(' and ')}</span>
              <span>{hit.document_type}</span>
              <span>passage {hit.chunk_index + 1}</span>
            </p>
          </li>
        ))}
      </ol>
      <nav className="pager" aria-label="Result pages">
        <button type="button" className="quiet" disabled={search.page <= 1} onClick={() => onPage(search.page - 1)}>
          Previous page
        </button>
        <span className="muted">Page {search.page}</span>
        <button type="button" className="quiet" disabled={hits.length < PAGE_SIZE} onClick={() => onPage(search.page + 1)}>
          Next page
        </button>
      </nav>
    </section>
  );
}
