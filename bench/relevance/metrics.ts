/**
 * Ranking metrics over documents (a search answer's chunk hits are first reduced to a document
 * ranking, each document at its best chunk's rank). Grades are 0–3; an absent grade is 0.
 */

/** Documents in order of their first (best) hit; later chunks of the same document are dropped. */
export function documentRanking(hits: ReadonlyArray<{ document_id: string }>): string[] {
  const seen = new Set<string>();
  const ranking: string[] = [];
  for (const h of hits) {
    if (seen.has(h.document_id)) continue;
    seen.add(h.document_id);
    ranking.push(h.document_id);
  }
  return ranking;
}

const gain = (grade: number): number => 2 ** grade - 1;
const discount = (rank0: number): number => 1 / Math.log2(rank0 + 2);

/**
 * nDCG@k with exponential gain (2^grade − 1) and log2 discount. The ideal ranking is every judged
 * document sorted by grade. NaN when the query has no relevant document (out-of-corpus queries are
 * scored apart, by whether the answer is empty).
 */
export function ndcgAt(ranking: readonly string[], grades: ReadonlyMap<string, number>, k: number): number {
  const ideal = [...grades.values()].filter((g) => g > 0).sort((a, b) => b - a);
  if (ideal.length === 0) return Number.NaN;
  const idcg = ideal.slice(0, k).reduce((s, g, i) => s + gain(g) * discount(i), 0);
  const dcg = ranking.slice(0, k).reduce((s, id, i) => s + gain(grades.get(id) ?? 0) * discount(i), 0);
  return dcg / idcg;
}

/** Share of the documents graded ≥ `minGrade` that appear in the first k; NaN when there are none. */
export function recallAt(ranking: readonly string[], grades: ReadonlyMap<string, number>, k: number, minGrade = 1): number {
  const relevant = [...grades].filter(([, g]) => g >= minGrade).map(([id]) => id);
  if (relevant.length === 0) return Number.NaN;
  const top = new Set(ranking.slice(0, k));
  return relevant.filter((id) => top.has(id)).length / relevant.length;
}

/** 1 / rank of the first document graded ≥ `minGrade` (0 when none is ranked); NaN when there is none to find. */
export function reciprocalRank(ranking: readonly string[], grades: ReadonlyMap<string, number>, minGrade: number): number {
  if (![...grades.values()].some((g) => g >= minGrade)) return Number.NaN;
  const i = ranking.findIndex((id) => (grades.get(id) ?? 0) >= minGrade);
  return i < 0 ? 0 : 1 / (i + 1);
}

/** Mean of the finite values (queries a metric does not apply to give NaN and are left out); NaN when none is. */
export function mean(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? Number.NaN : finite.reduce((s, v) => s + v, 0) / finite.length;
}
