/**
 * A campaign run through the worker with known true rates: visitors arrive, are assigned, some convert
 * (with the rate of their variant), and the results API shows the right winner with honest statistics.
 */
import { describe, expect, it } from 'vitest';
import { signVisitorId } from '../edge/visitor-cookie.ts';
import { chooseVariation, getBucketRanges, hash, mulberry32, type Report } from '../engine/index.ts';
import {
  ADMIN,
  call,
  collect,
  eventId,
  me,
  page,
  putConfig,
  settle,
  visitorCookie,
} from '../test/helpers.ts';

const DOC = {
  version: 1,
  holdout: 0.1,
  campaigns: [
    {
      id: 'hero-test',
      slot: { selector: '#hero', action: 'replace' },
      weights: [0.5, 0.5],
      variants: [{ id: 'control' }, { id: 'bold', html: '<h1>Bold</h1>' }],
      goals: ['purchase'],
    },
  ],
};
const TRUE_RATE: Record<string, number> = { control: 0.1, bold: 0.4, __holdout: 0.1 };

async function results(): Promise<Report> {
  const res = await call('/__hio/admin/results', { headers: ADMIN });
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

async function variantOf(html: string): Promise<string | null> {
  return /data-hio-variant="([^"]+)"/.exec(html)?.[1] ?? null;
}

describe('results', () => {
  it('shows the variant with the higher true rate as the winner', { timeout: 180_000 }, async () => {
    await putConfig(DOC);
    const rand = mulberry32(7);
    const seen: Record<string, number> = {};
    const visitors = 360;
    for (let i = 0; i < visitors; i++) {
      const res = await page('/');
      const cookie = visitorCookie(res);
      const variant = (await variantOf(await res.text())) ?? '__holdout';
      seen[variant] = (seen[variant] ?? 0) + 1;
      if (rand() < (TRUE_RATE[variant] ?? 0)) {
        // the page's profile write lands before the visitor acts, as it does for a real visitor reading it
        await settle();
        const id = eventId();
        expect(
          (await collect(cookie, { events: [{ t: 'conversion', id, goal: 'purchase', value: 20 }] })).status,
        ).toBe(204);
        // a retried beacon is not counted twice
        await collect(cookie, { events: [{ t: 'conversion', id, goal: 'purchase', value: 20 }] });
      }
    }
    await settle();
    const report = await results();
    const c = report.campaigns[0];
    expect(c?.id).toBe('hero-test');
    const control = c?.variants.find((v) => v.id === 'control');
    const bold = c?.variants.find((v) => v.id === 'bold');
    expect(control?.visitors).toBe(seen.control);
    expect(bold?.visitors).toBe(seen.bold);
    expect(c?.holdout.visitors).toBe(seen.__holdout);
    const g = bold?.goals.purchase;
    expect(g?.verdict).toBe('winner');
    expect(g?.chanceToBeatControl).toBeGreaterThan(0.99);
    expect(g?.pValue).toBeLessThan(0.01);
    expect(g?.ci?.[0]).toBeGreaterThan(0);
    expect(g?.value).toBe((g?.conversions ?? 0) * 20);
    expect(c?.srm.warning).toBe(false);
    expect(report.programme.treated.visitors + report.programme.holdout.visitors).toBe(visitors);

    const csv = await (await call('/__hio/admin/results?format=csv', { headers: ADMIN })).text();
    expect(csv.split('\n')[0]).toMatch(/^campaign,variant,control,visitors/);
    expect(csv).toContain(`hero-test,bold,false,${seen.bold}`);
  });

  it('counts each visitor once, and sticky assignments survive weight changes', async () => {
    // fixed visitors whose buckets are known (GrowthBook hash v2 of the campaign seed and the id)
    const STICKY = {
      version: 1,
      holdout: 0.1,
      campaigns: [
        {
          id: 'sticky',
          slot: { selector: '#hero', action: 'replace' },
          weights: [0.5, 0.5],
          variants: [{ id: 'control' }, { id: 'bold', html: '<h1>Bold</h1>' }],
          goals: ['purchase'],
        },
      ],
    };
    const visitors = {
      // control under 50/50, bold under 1/99: only stickiness keeps it on control
      movable: 'stickyvisitor000000001',
      bold: 'stickyvisitor000000002',
      held: 'stickyvisitor000000000',
      // arrives after the change, with a bucket that 50/50 would have sent to control
      late: 'stickyvisitor000000003',
    };
    const bucket = (id: string) => hash('sticky', id, 2) as number;
    const inHoldout = (id: string) => (hash('hio-holdout', id, 2) as number) < 0.1;
    const variantAt = (id: string, weights: number[]) =>
      ['control', 'bold'][chooseVariation(bucket(id), getBucketRanges(2, 1, weights))];
    expect(inHoldout(visitors.held)).toBe(true);
    for (const id of [visitors.movable, visitors.bold, visitors.late]) expect(inHoldout(id)).toBe(false);
    expect([variantAt(visitors.movable, [0.5, 0.5]), variantAt(visitors.movable, [0.01, 0.99])]).toEqual([
      'control',
      'bold',
    ]);
    expect(variantAt(visitors.bold, [0.5, 0.5])).toBe('bold');
    expect([variantAt(visitors.late, [0.5, 0.5]), variantAt(visitors.late, [0.01, 0.99])]).toEqual([
      'control',
      'bold',
    ]);
    const cookie = async (id: string) => `hio_vid=${await signVisitorId(id, 'test-secret')}`;
    const shown = async (id: string) => variantOf(await (await page('/', await cookie(id))).text());

    await putConfig(STICKY);
    await settle();
    const before = await results();
    for (let i = 0; i < 3; i++) {
      expect(await shown(visitors.movable)).toBe('control');
      expect(await shown(visitors.bold)).toBe('bold');
      expect(await shown(visitors.held)).toBeNull();
      // the page's assignment write lands before the next page, as between a real visitor's pages
      await settle();
    }
    await putConfig({ ...STICKY, campaigns: [{ ...STICKY.campaigns[0], weights: [0.01, 0.99] }] });
    for (let i = 0; i < 2; i++) {
      expect(await shown(visitors.movable)).toBe('control');
      expect(await shown(visitors.bold)).toBe('bold');
      expect(await shown(visitors.held)).toBeNull();
      expect(await shown(visitors.late)).toBe('bold');
      await settle();
    }
    const why = await me(await cookie(visitors.movable));
    const exp = (why.campaigns as { campaign: string; status: string; bucket?: number }[])[0];
    expect(exp).toMatchObject({ campaign: 'sticky', status: 'assigned', bucket: bucket(visitors.movable) });

    // two converters, each of whose beacon batch is sent twice (a retry after a lost reply)
    for (const id of [visitors.movable, visitors.bold]) {
      const batch = { events: [{ t: 'conversion', id: eventId(), goal: 'purchase', value: 20 }] };
      for (let attempt = 0; attempt < 2; attempt++)
        expect((await collect(await cookie(id), batch)).status).toBe(204);
    }
    await settle();
    const report = await results();
    const c = report.campaigns.find((x) => x.id === 'sticky');
    const arm = (v: string) => c?.variants.find((x) => x.id === v);
    // 5 page views each, counted once per visitor
    expect(arm('control')?.visitors).toBe(1);
    expect(arm('bold')?.visitors).toBe(2);
    expect(c?.holdout.visitors).toBe(1);
    expect(arm('control')?.goals.purchase).toMatchObject({ conversions: 1, value: 20 });
    expect(arm('bold')?.goals.purchase).toMatchObject({ conversions: 1, value: 20 });
    const programme = (r: Report) => r.programme.treated.visitors + r.programme.holdout.visitors;
    expect(programme(report) - programme(before)).toBe(4);
  });

  it('serves a forced variant through a signed preview link without counting it', async () => {
    await putConfig({ ...DOC, holdout: 0 });
    await settle();
    const before = await results();
    const link = await call('/__hio/admin/preview?campaign=hero-test&variant=bold&path=/page', {
      headers: ADMIN,
    });
    const { url } = (await link.json()) as { url: string };
    const res = await page(new URL(url).pathname + new URL(url).search);
    const html = await res.text();
    expect(html).toContain('<h1>Bold</h1>');
    expect(html).not.toContain('/__hio/client.js');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.getSetCookie()).toEqual([]);
    await settle();
    const after = await results();
    const counts = (r: Report) => r.campaigns[0]?.variants.map((v) => [v.id, v.visitors, v.impressions]);
    expect(counts(after)).toEqual(counts(before));
    // a tampered link is ignored
    const bad = await page(`/page?hio_preview=${encodeURIComponent(`${url.split('hio_preview=')[1]}x`)}`);
    expect(await bad.text()).toContain('/__hio/client.js');
  });

  it('needs the admin token', async () => {
    expect((await call('/__hio/admin/results')).status).toBe(401);
  });
});
