/**
 * Rating statistics (`GET /v1/ratings/stats`), computed from plain rows so the numbers can
 * be tested without a database. Times in the rows are ms since epoch; results are seconds.
 * Every number is rounded to 2 decimals and is 0 (never null) when there is no data.
 */

export interface RatingStatsRow {
  score: number | null;
  /** Rating row status; `no_chat` = the client had no linked Telegram chat. */
  status: string;
  resolvedAt: number | null;
  issueCreatedAt: number | null;
  requestedAt: number;
  ratedAt: number | null;
  /** Issue type (or other grouping) for "top problems". */
  label: string | null;
}

export interface Spread { average: number; p50: number }

export interface RatingStats {
  count: number;
  average: number;
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
  /** resolvedAt − issueCreatedAt, over rows having both. */
  resolutionTime: Spread;
  /** ratedAt − requestedAt, over rated rows. */
  ratingDelay: Spread;
  topProblems: { label: string; count: number }[];
  /** Rating requests in the period (all rows). */
  requested: number;
  /** Requests that found no Telegram chat to ask. */
  noChat: number;
}

const TOP = 5;

export const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Median: the middle value, or the mean of the two middle values. */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const mean = (values: number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

function spread(seconds: number[]): Spread {
  return { average: round2(mean(seconds)), p50: round2(median(seconds)) };
}

/** Durations in seconds; a negative one (clocks of Okdesk and ours disagree) counts as 0. */
const secondsBetween = (from: number, to: number): number => Math.max(0, (to - from) / 1000);

const isScore = (s: number | null): s is number => s !== null && Number.isInteger(s) && s >= 1 && s <= 5;

export function ratingStats(rows: RatingStatsRow[]): RatingStats {
  const rated = rows.filter((r) => isScore(r.score));
  const scores = rated.map((r) => r.score as number);
  const distribution: RatingStats['distribution'] = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
  for (const s of scores) distribution[String(s) as keyof typeof distribution]++;

  const resolution = rows
    .filter((r) => r.resolvedAt !== null && r.issueCreatedAt !== null)
    .map((r) => secondsBetween(r.issueCreatedAt as number, r.resolvedAt as number));
  const delay = rated.filter((r) => r.ratedAt !== null).map((r) => secondsBetween(r.requestedAt, r.ratedAt as number));

  const labels = new Map<string, number>();
  for (const r of rated) {
    const label = r.label?.trim();
    if (label) labels.set(label, (labels.get(label) ?? 0) + 1);
  }
  const topProblems = [...labels]
    .map(([label, count]) => ({ label, count }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label))
    .slice(0, TOP);

  return {
    count: rated.length,
    average: round2(mean(scores)),
    distribution,
    resolutionTime: spread(resolution),
    ratingDelay: spread(delay),
    topProblems,
    requested: rows.length,
    noChat: rows.filter((r) => r.status === 'no_chat').length,
  };
}
