/**
 * RFC 4180 CSV: CRLF line ends; a field holding `"`, `,`, CR or LF is quoted and its quotes
 * doubled. A UTF-8 BOM leads the text so Excel opens Cyrillic titles correctly.
 */

export type CsvCell = string | number | null | undefined;

const BOM = '\uFEFF';

/**
 * A text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or CR
 * first) gets a leading `'`, as OWASP advises for CSV export: issue titles come from clients
 * (the bot's /new), and the export is opened in Excel. Numbers are written as numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(v: CsvCell): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: CsvCell[][]): string {
  const lines = [header, ...rows].map((r) => r.map(csvField).join(','));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

export interface RatingCsvRow {
  issueId: string;
  title: string | null;
  contactId: string | null;
  score: number | null;
  /** ms since epoch */
  resolvedAt: number | null;
  /** ms since epoch */
  ratedAt: number | null;
}

const iso = (ms: number | null): string | null => (ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

/** `GET /v1/ratings/export.csv`: one row per rating. */
export function ratingsCsv(rows: RatingCsvRow[]): string {
  return toCsv(
    ['issue_id', 'title', 'contact_id', 'score', 'resolved_at', 'rated_at'],
    rows.map((r) => [r.issueId, r.title, r.contactId, r.score, iso(r.resolvedAt), iso(r.ratedAt)]),
  );
}
