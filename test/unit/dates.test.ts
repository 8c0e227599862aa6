import { afterEach, describe, expect, it } from 'vitest';
import { parseDate } from '../../src/core/stats.js';

describe('parseDate (stats windows, series, replay and ratings periods)', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('reads a date-time that names no zone as UTC, as it reads a date, whatever the server\'s time zone', () => {
    for (const zone of ['Asia/Yekaterinburg', 'America/Sao_Paulo', 'UTC']) {
      process.env.TZ = zone;
      expect(parseDate('2026-01-02T03:04'), zone).toBe(Date.UTC(2026, 0, 2, 3, 4));
      expect(parseDate('2026-01-02 03:04:05.250'), zone).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 250));
      expect(parseDate('2026-01-02'), zone).toBe(Date.UTC(2026, 0, 2));
      // A zone given is kept.
      expect(parseDate('2026-01-02T03:04:00+05:00'), zone).toBe(Date.UTC(2026, 0, 1, 22, 4));
      expect(parseDate('2026-01-02T03:04:00-0300'), zone).toBe(Date.UTC(2026, 0, 2, 6, 4));
      expect(parseDate('2026-01-02T03:04:00Z'), zone).toBe(Date.UTC(2026, 0, 2, 3, 4));
    }
  });

  it('refuses what is not a date', () => {
    for (const bad of ['2026-02-30', '2026-13-01', 'yesterday', '2026-01-02T25:00', '1969-12-31', '']) expect(parseDate(bad), bad).toBeUndefined();
  });
});
