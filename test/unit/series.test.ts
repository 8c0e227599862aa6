import { describe, expect, it } from 'vitest';
import { bucketSeries } from '../../src/core/series.js';

describe('bucketSeries', () => {
  it('splits the window into equal buckets; rates over finished deliveries; percentiles over attempts; empty buckets are null', () => {
    const from = Date.parse('2024-01-01T00:00:00Z');
    const hour = 3600_000;
    const deliveries = [
      { at: from + 10, status: 'delivered' },
      { at: from + 20, status: 'failed' },
      { at: from + 30, status: 'pending' },
      { at: from + 2 * hour + 5, status: 'delivered' },
      { at: from - 1, status: 'failed' }, // before the window
      { at: from + 3 * hour, status: 'failed' }, // the end is exclusive
    ];
    const attempts = [10, 20, 30, 40, 1000].map((ms, i) => ({ at: from + i, ms }));
    const { bucketMs, points } = bucketSeries(from, from + 3 * hour, 3, deliveries, attempts);
    expect(bucketMs).toBe(hour);
    expect(points.map((p) => p.start)).toEqual(['2024-01-01T00:00:00.000Z', '2024-01-01T01:00:00.000Z', '2024-01-01T02:00:00.000Z']);
    expect(points[0]).toEqual({
      start: '2024-01-01T00:00:00.000Z',
      total: 3,
      successful: 1,
      failed: 1,
      successRate: 0.5,
      attempts: 5,
      responseTimes: { average: 220, p50: 30, p95: 1000, p99: 1000 },
    });
    expect(points[1]).toMatchObject({ total: 0, successRate: null, attempts: 0, responseTimes: null });
    expect(points[2]).toMatchObject({ total: 1, successful: 1, successRate: 1, responseTimes: null });
  });

  it('never starts a point at or past the end: a window shorter than the buckets asked, or one that does not divide evenly, gets fewer', () => {
    const from = Date.parse('2020-01-01T00:00:00Z');
    const one = bucketSeries(from, from + 1, 500, [{ at: from, status: 'delivered' }], []);
    expect(one.points.map((p) => p.start)).toEqual(['2020-01-01T00:00:00.000Z']);
    expect(one.points[0]!.successful).toBe(1);
    const ten = bucketSeries(from, from + 10, 6, [{ at: from + 9, status: 'failed' }], []);
    expect(ten.bucketMs).toBe(2);
    expect(ten.points.map((p) => Date.parse(p.start) - from)).toEqual([0, 2, 4, 6, 8]);
    expect(ten.points[4]!.failed).toBe(1);
  });
});
