import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseServing } from './models.ts';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
const cov = (documents: number, models: [string, number, number | null][]) => ({
  documents,
  models: models.map(([model, n, t]) => ({ model, documents: n, lastEmbeddedAt: t === null ? null : at(t) })),
});

describe('which model a scope searches during a model change', () => {
  it('searches the desired model at once in a scope without processed documents', () => {
    expect(chooseServing('new', cov(0, []))).toEqual({ model: 'new', desired: 'new', documents: 0, embedded: 0 });
  });

  it('keeps the model it had complete until every processed document has the desired one, then switches', () => {
    expect(
      chooseServing(
        'new',
        cov(3, [
          ['old', 3, 10],
          ['new', 2, 20],
        ]),
      ).model,
    ).toBe('old');
    expect(
      chooseServing(
        'new',
        cov(3, [
          ['old', 3, 10],
          ['new', 3, 20],
        ]),
      ),
    ).toEqual({
      model: 'new',
      desired: 'new',
      documents: 3,
      embedded: 3,
    });
  });

  it('among models equally complete, keeps the one embedded last (the project’s over the tenant’s it was embedded after)', () => {
    expect(
      chooseServing(
        'b',
        cov(2, [
          ['tenant', 2, 5],
          ['a', 2, 9],
          ['b', 0, null],
        ]),
      ).model,
    ).toBe('a');
    expect(
      chooseServing(
        'b',
        cov(2, [
          ['tenant', 2, 9],
          ['a', 2, 5],
        ]),
      ).model,
    ).toBe('tenant');
  });

  it('never falls back to a model this deployment cannot query, and compares canonical names', () => {
    const served = (m: string) => (m === 'gone' ? null : m === 'alias' ? 'canonical' : m);
    expect(
      chooseServing(
        'new',
        cov(2, [
          ['gone', 2, 9],
          ['new', 1, 10],
        ]),
        served,
      ).model,
    ).toBe('new');
    expect(
      chooseServing(
        'alias',
        cov(2, [
          ['canonical', 2, 9],
          ['old', 2, 1],
        ]),
        served,
      ),
    ).toMatchObject({
      model: 'canonical',
      embedded: 2,
    });
  });

  it('always answers the desired model or one covering more documents than it (generated coverages)', () => {
    const model = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(
        model,
        fc.nat(50),
        fc.uniqueArray(fc.tuple(model, fc.nat(50), fc.option(fc.nat(1000))), { selector: ([m]) => m }),
        (desired, documents, rows) => {
          const coverage = cov(
            documents,
            rows.map(([m, n, t]) => [m, Math.min(n, documents), t]),
          );
          const chosen = chooseServing(desired, coverage);
          const embedded = coverage.models.find((m) => m.model === desired)?.documents ?? 0;
          expect(chosen.embedded).toBe(embedded);
          if (embedded >= documents) expect(chosen.model).toBe(desired);
          else if (chosen.model !== desired) {
            const other = coverage.models.find((m) => m.model === chosen.model);
            expect(other?.documents ?? 0).toBeGreaterThan(embedded);
            for (const m of coverage.models) expect(m.documents).toBeLessThanOrEqual(other?.documents ?? 0);
          }
        },
      ),
    );
  });
});
