import { describe, expect, it } from 'vitest';
import { buildAttributes, detectDevice } from './attributes.ts';
import { parseDocument } from './document.ts';
import { readProfile } from './profile.ts';

const doc = (() => {
  const r = parseDocument({ version: 1, segments: { night: { hour: { $lt: 6 } } }, campaigns: [] });
  if (!r.ok) throw new Error(r.problems.join());
  return r.doc;
})();

function attrs(
  now: number,
  timezone: string | null,
  extra: Partial<{ ua: string; url: string; referer: string }> = {},
) {
  return buildAttributes(
    readProfile({}, now),
    {
      url: new URL(extra.url ?? 'https://shop.example/c/shoes?utm_source=news&utm_medium=email'),
      userAgent: extra.ua ?? 'Mozilla/5.0 (X11; Linux x86_64)',
      referer: extra.referer ?? null,
      country: 'DE',
      timezone,
      now,
      category: null,
    },
    doc,
  );
}

describe('visitor attributes', () => {
  it('gives the local hour in the visitor time zone, also across cached quarter hours', () => {
    const t = Date.parse('2026-11-22T00:20:00Z');
    expect(attrs(t, 'Asia/Kolkata').hour).toBe(5); // UTC+5:30 -> 05:50
    expect(attrs(t + 10 * 60_000, 'Asia/Kolkata').hour).toBe(6); // 06:00
    expect(attrs(t, 'America/New_York').hour).toBe(19);
    expect(attrs(t, 'Not/AZone').hour).toBe(0);
    expect(attrs(t, null).hour).toBe(0);
    expect(attrs(t, 'Asia/Kolkata').segments).toEqual(['night']);
  });

  it('reads device, referrer and campaign parameters from the request', () => {
    const a = attrs(Date.now(), null, {
      referer: 'https://news.example/story',
      ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)',
    });
    expect(a).toMatchObject({
      device: 'mobile',
      referrer: 'news.example',
      utm_source: 'news',
      utm_medium: 'email',
      country: 'DE',
      path: '/c/shoes',
    });
    expect(attrs(Date.now(), null, { referer: 'https://shop.example/' }).referrer).toBeUndefined();
    expect(detectDevice('Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)')).toBe('tablet');
  });
});
