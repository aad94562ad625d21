/**
 * The dashboard through the real worker: the login flow and its session cookie (which the admin API
 * accepts too, for reading), and the page's sections rendered from the real D1 report.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signSession } from '../edge/admin-session.ts';
import {
  buildReport,
  type CompiledDocument,
  parseDocument,
  type RawCounts,
  type Report,
} from '../engine/index.ts';
import { ADMIN, BASE, call, putConfig } from '../test/helpers.ts';
import { fmt, html } from './dashboard-format.ts';
import { renderDashboard } from './dashboard-view.ts';

const TOKEN = 'test-admin-token';
const SECRET = 'test-secret';
const SEED = `dash-${Date.now().toString(36)}`;

const DOC = {
  version: 1,
  holdout: 0,
  campaigns: [
    {
      id: 'dash-test',
      seed: SEED,
      slot: { selector: '#hero', action: 'replace' },
      weights: [0.5, 0.5],
      variants: [{ id: 'control' }, { id: 'bold', html: '<h1>Bold</h1>' }],
      goals: ['purchase'],
    },
  ],
};

function login(password: string, headers: HeadersInit = {}): Promise<Response> {
  return call('/__hio/dashboard/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ password }).toString(),
    redirect: 'manual',
  });
}

function sessionOf(res: Response): string {
  const c = res.headers.getSetCookie().find((x) => x.startsWith('hio_admin='));
  if (!c) throw new Error('no hio_admin cookie');
  return c.split(';')[0] as string;
}

/** 300 control and 100 bold visitors over three days: a broken split, and a line per variant to draw. */
async function seedCounts(): Promise<void> {
  const days = ['2026-04-01', '2026-04-02', '2026-04-03'];
  const stmts: D1PreparedStatement[] = [];
  const exposure = env.HIO_DB.prepare(
    'INSERT INTO exposures (visitor_id, campaign_id, seed, variant_id, day, at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const conversion = env.HIO_DB.prepare(
    'INSERT INTO conversion_events (visitor_id, event_id, campaign_id, seed, variant_id, goal, value, day, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const [variant, n, rate] of [
    ['control', 300, 0.1],
    ['bold', 100, 0.3],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const vid = `${SEED}-${variant}-${i}`;
      const day = days[i % 3] as string;
      stmts.push(exposure.bind(vid, 'dash-test', SEED, variant, day, 0));
      if (i < n * rate)
        stmts.push(conversion.bind(vid, 'e1', 'dash-test', SEED, variant, 'purchase', 40, day, 0));
    }
  }
  await env.HIO_DB.batch(stmts);
}

describe('dashboard login', () => {
  it('shows the login form without auth, and nothing of the results', async () => {
    const res = await call('/__hio/dashboard');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await res.text();
    expect(body).toContain('data-testid="login-form"');
    expect(body).toContain('action="/__hio/dashboard/login"');
    expect(body).not.toContain('data-testid="programme"');
    expect(body).not.toContain('<script');
  });

  it('refuses a wrong password with 401, the form and an error', async () => {
    const res = await login('not-the-token');
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
    const body = await res.text();
    expect(body).toContain('data-testid="login-error"');
    expect(body).toContain('data-testid="login-form"');
    expect((await login('')).status).toBe(401);
  });

  it('sets an HttpOnly, SameSite=Strict session cookie for the right password, which grants the admin API', async () => {
    const res = await login(TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/__hio/dashboard');
    const set = res.headers.getSetCookie().find((c) => c.startsWith('hio_admin=')) ?? '';
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Strict/);
    expect(set).toMatch(/; Path=\/__hio\//);
    expect(set).toMatch(/; Max-Age=43200/);
    expect(set).not.toContain(TOKEN);
    const cookie = sessionOf(res);

    const results = await call('/__hio/admin/results', { headers: { cookie } });
    expect(results.status).toBe(200);
    expect(((await results.json()) as Report).campaigns).toBeInstanceOf(Array);
    const csv = await call('/__hio/admin/results?format=csv', { headers: { cookie } });
    expect(csv.status).toBe(200);
    expect(await csv.text()).toMatch(/^campaign,variant/);
    const page = await call('/__hio/dashboard', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-testid="programme"');
  });

  it('refuses tampered, expired and foreign session cookies', async () => {
    const good = sessionOf(await login(TOKEN));
    const value = good.slice('hio_admin='.length);
    const [, exp, sig] = value.split('.') as [string, string, string];
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    const bad = [
      `hio_admin=v1.${exp}.${flipped}`,
      `hio_admin=v1.${Number(exp) + 60}.${sig}`,
      `hio_admin=v1.${exp}`,
      'hio_admin=garbage',
      // a real signature, but it expired an hour ago
      `hio_admin=${await signSession(Date.now() - 13 * 3600_000, SECRET, TOKEN)}`,
      // signed with another admin token (the token was rotated)
      `hio_admin=${await signSession(Date.now(), SECRET, 'old-token')}`,
      // the visitor cookie's key must not sign admin sessions
      `hio_admin=${await signSession(Date.now(), 'other-secret', TOKEN)}`,
    ];
    for (const cookie of bad) {
      expect((await call('/__hio/admin/results', { headers: { cookie } })).status, cookie).toBe(401);
      const page = await call('/__hio/dashboard', { headers: { cookie } });
      expect(page.status, cookie).toBe(401);
      expect(page.headers.getSetCookie()[0]).toMatch(/^hio_admin=; Max-Age=0/);
      expect(await page.text()).toContain('data-testid="login-notice"');
    }
    // the genuine one still works
    expect((await call('/__hio/admin/results', { headers: { cookie: good } })).status).toBe(200);
  });

  it('never lets a session change anything, not even from the same origin (writes need the Bearer token)', async () => {
    const cookie = sessionOf(await login(TOKEN));
    const put = (headers: Record<string, string>) =>
      call('/__hio/admin/config', {
        method: 'PUT',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(DOC),
      });
    expect((await put({ 'sec-fetch-site': 'cross-site' })).status).toBe(401);
    expect((await put({ 'sec-fetch-site': 'same-site' })).status).toBe(401);
    expect((await put({ origin: 'https://evil.example' })).status).toBe(401);
    // a script on any page of the site is same-origin with the dashboard: the session alone must not write
    expect((await put({ 'sec-fetch-site': 'same-origin', origin: BASE })).status).toBe(401);
    expect((await put({ 'sec-fetch-site': 'same-origin', ...ADMIN })).status).toBe(200);
    // and reading with it still works
    expect((await call('/__hio/admin/config', { headers: { cookie } })).status).toBe(200);
    // a login posted by another site is refused as well
    expect((await login(TOKEN, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  });

  it('logs out by clearing the cookie', async () => {
    const res = await call('/__hio/dashboard/logout', { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie()[0]).toMatch(
      /^hio_admin=; Max-Age=0; Path=\/__hio\/; HttpOnly; SameSite=Strict/,
    );
  });

  it('accepts the bearer token too', async () => {
    const res = await call('/__hio/dashboard', { headers: ADMIN });
    expect(res.status).toBe(200);
  });
});

describe('dashboard page', () => {
  it('renders every section from the report', async () => {
    expect((await putConfig(DOC)).status).toBe(200);
    await seedCounts();
    const report = (await (await call('/__hio/admin/results', { headers: ADMIN })).json()) as Report;
    const c = report.campaigns.find((x) => x.id === 'dash-test');
    const bold = c?.variants.find((v) => v.id === 'bold');
    expect(c?.srm.warning).toBe(true);

    const res = await call('/__hio/dashboard', { headers: ADMIN });
    expect(res.status).toBe(200);
    const body = await res.text();
    const cell = (id: string) =>
      new RegExp(`data-testid="${id}"[^>]*>([^<]*)<`)
        .exec(body)?.[1]
        ?.replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&');
    for (const id of [
      'programme',
      'help',
      'csv',
      'campaign-dash-test',
      'srm-dash-test',
      'traffic-dash-test',
    ]) {
      expect(body).toContain(`data-testid="${id}"`);
    }
    expect(body).toContain('href="/__hio/admin/results?format=csv"');
    expect(cell('visitors-dash-test-control')).toBe('300');
    expect(cell('visitors-dash-test-bold')).toBe('100');
    expect(cell('rate-dash-test-bold-purchase')).toBe('30.00%');
    expect(cell('rate-dash-test-control-purchase')).toBe('10.00%');
    expect(cell('lift-dash-test-bold-purchase')).toBe('+200.00%');
    expect(cell('p-dash-test-bold-purchase')).toBe(fmt.p(bold?.goals.purchase?.adjustedPValue));
    expect(cell('ctbc-dash-test-bold-purchase')).toBe(fmt.pct(bold?.goals.purchase?.chanceToBeatControl));
    expect(cell('rpv-dash-test-bold-purchase')).toBe('12.00');
    // the rate chart has a line of three days per variant; the forest plot a row for the variant
    const rate = /<svg[^>]*data-testid="chart-rate-dash-test-purchase"[\s\S]*?<\/svg>/.exec(body)?.[0] ?? '';
    expect(rate.match(/<circle/g)?.length).toBe(6);
    expect(rate).toMatch(/<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ L[\d.]+,[\d.]+"/);
    const lift = /<svg[^>]*data-testid="chart-lift-dash-test-purchase"[\s\S]*?<\/svg>/.exec(body)?.[0] ?? '';
    expect(lift).toContain('data-series="bold"');
    // an A/B test has no weighted section
    expect(body).not.toContain('data-testid="adaptive-dash-test"');
    expect(body).not.toContain('<script');
  });

  it('escapes whatever it interpolates', () => {
    const evil = '"><script>alert(1)</script>';
    expect(html`<td title="${evil}">${evil}</td>`.value).toBe(
      '<td title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td>',
    );
  });
});

/** The text of the element with this data-testid, unescaped. */
function cellOf(body: string, id: string): string | undefined {
  return new RegExp(`data-testid="${id}"[^>]*>([^<]*)<`)
    .exec(body)?.[1]
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

describe('dashboard page of adaptive campaigns', () => {
  const parsed = parseDocument({
    version: 1,
    holdout: 0,
    campaigns: [
      {
        id: 'ctx',
        allocation: 'bandit',
        slot: { selector: '#h', action: 'replace' },
        variants: [{ id: 'control' }, { id: 'b', html: 'B' }],
        weights: [0.5, 0.5],
        goals: ['purchase'],
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join());
  type Allocation = CompiledDocument['campaigns'][number]['allocation'];
  const asContextual = (doc: CompiledDocument): CompiledDocument => ({
    ...doc,
    campaigns: doc.campaigns.map((c) => ({ ...c, allocation: 'contextual' as string as Allocation })),
  });
  // mobile converts on b (10% vs 5%), desktop on control (15% vs 8%); shares moved per context over time
  const sums = (context: string, variantId: string, parts: [n: number, x: number, p: number][]) => ({
    campaignId: 'ctx',
    seed: 'ctx',
    goal: 'purchase',
    context,
    variantId,
    n: parts.reduce((a, [n]) => a + n, 0),
    w: parts.reduce((a, [n, , p]) => a + n / p, 0),
    wr: parts.reduce((a, [, x, p]) => a + x / p, 0),
    w2: parts.reduce((a, [n, , p]) => a + n / p ** 2, 0),
    w2r: parts.reduce((a, [, x, p]) => a + x / p ** 2, 0),
  });
  const weighted = [
    sums('mobile', 'control', [
      [3000, 150, 0.5],
      [600, 30, 0.1],
    ]),
    sums('mobile', 'b', [
      [3000, 300, 0.5],
      [5400, 540, 0.9],
    ]),
    sums('desktop', 'control', [
      [2000, 300, 0.5],
      [3600, 540, 0.9],
    ]),
    sums('desktop', 'b', [
      [2000, 160, 0.5],
      [400, 32, 0.1],
    ]),
  ];
  const plain = { control: [9200, 1020], b: [10_800, 1032] } as const;
  const raw: RawCounts = {
    exposures: Object.entries(plain).map(([variantId, [visitors]]) => ({
      campaignId: 'ctx',
      seed: 'ctx',
      variantId,
      day: '2026-11-21',
      visitors,
    })),
    conversions: Object.entries(plain).map(([variantId, [, converters]]) => ({
      campaignId: 'ctx',
      seed: 'ctx',
      variantId,
      goal: 'purchase',
      converters,
      valueSum: 0,
      valueSumSq: 0,
    })),
    conversionsDaily: [],
    slots: [],
    weighted,
  };
  const page = (report: Report) =>
    renderDashboard({ ...report, generatedAt: '2026-11-21T10:00:00.000Z', configVersion: 3 });

  it('shows the weighted rates per variant with their intervals and says how they are weighted', () => {
    const report = buildReport(parsed.doc, raw);
    const a = report.campaigns[0]?.adaptive;
    const body = page(report);
    expect(body).toContain('Adaptive allocation');
    expect(body).toContain(
      'weighted by the probability each visitor had of seeing their variant, because shares changed over time',
    );
    for (const v of a?.variants ?? []) {
      expect(cellOf(body, `adaptive-rate-ctx-${v.id}`)).toBe(fmt.pct(v.rate));
      expect(cellOf(body, `adaptive-rate-ci-ctx-${v.id}`)).toBe(fmt.rateCi(v.ci));
      expect(cellOf(body, `adaptive-visitors-ctx-${v.id}`)).toBe(fmt.count(v.visitors));
    }
    // pooled over devices: control 0.6·5% + 0.4·15% = 9%, b 0.6·10% + 0.4·8% = 9.2%; the plain rates say
    // control 11.09% and b 9.56%
    expect(cellOf(body, 'adaptive-rate-ctx-control')).toBe('9.00%');
    expect(cellOf(body, 'adaptive-rate-ctx-b')).toBe('9.20%');
    expect(cellOf(body, 'rate-ctx-control-purchase')).toBe('11.09%');
    expect(cellOf(body, 'adaptive-lift-ctx-b')).toBe('+2.22%');
    expect(cellOf(body, 'adaptive-lift-ci-ctx-b')).toBe(fmt.ci(a?.variants[1]?.liftCi));
    expect(body).toContain('data-testid="chart-adaptive-lift-ctx"');
    expect(body).toContain('data-testid="plain-note-ctx-purchase"');
    // a bandit has no per-context table
    expect(body).not.toContain('data-testid="contexts-ctx"');
    expect(body).not.toContain('<script');
  });

  it('shows, per context, the shares now and the best variant, and the what-if table with intervals', () => {
    const report = buildReport(asContextual(parsed.doc), raw, {
      contextualShares: { ctx: { pooled: [0.5, 0.5], contexts: { mobile: [0.1, 0.9] } } },
    });
    const a = report.campaigns[0]?.adaptive;
    const body = page(report);
    expect(body).toContain('contextual (traffic learned per context)');
    expect(body).toContain('data-testid="contexts-ctx"');
    expect(cellOf(body, 'ctx-visitors-ctx-mobile')).toBe('12,000');
    expect(cellOf(body, 'ctx-share-ctx-mobile-b')).toBe('90.00%');
    expect(cellOf(body, 'ctx-share-ctx-desktop-b')).toBe('50.00%');
    expect(body).toContain('pooled shares');
    expect(cellOf(body, 'ctx-rate-ctx-mobile-b')).toBe('10.00%');
    expect(cellOf(body, 'ctx-rate-ctx-desktop-control')).toBe('15.00%');
    expect(cellOf(body, 'ctx-best-ctx-desktop')).toBe('control');
    expect(cellOf(body, 'ctx-best-ctx-mobile')).toBe('b');
    expect(cellOf(body, 'ctx-best-rate-ctx-mobile')).toBe('10.00%');
    const mobile = a?.contexts?.find((x) => x.key === 'mobile');
    expect(cellOf(body, 'ctx-best-ci-ctx-mobile')).toBe(fmt.rateCi(mobile?.best?.ci));
    const w = a?.whatIf;
    expect(w).toBeDefined();
    for (const k of ['uniform', 'current', 'bestFixed', 'logged'] as const) {
      expect(cellOf(body, `whatif-ips-ctx-${k}`), k).toBe(fmt.pct(w?.[k]?.ips));
      expect(cellOf(body, `whatif-ci-ctx-${k}`), k).toBe(fmt.rateCi(w?.[k]?.ci));
      expect(cellOf(body, `whatif-snips-ctx-${k}`), k).toBe(fmt.pct(w?.[k]?.snips));
    }
    // best fixed per context: 0.6·10% + 0.4·15% = 12%
    expect(cellOf(body, 'whatif-ips-ctx-bestFixed')).toBe('12.00%');
    expect(cellOf(body, 'whatif-ips-ctx-logged')).toBe(fmt.pct(2052 / 20_000));
    expect(body).not.toContain('<script');
  });

  it('says so when the probabilities are not logged', () => {
    const { weighted: _drop, ...without } = raw;
    const body = page(buildReport(parsed.doc, without));
    expect(body).not.toContain('data-testid="adaptive-ctx"');
    expect(cellOf(body, 'adaptive-note-ctx')).toMatch(/biased.*not available/);
  });
});

describe('dashboard page: small samples, breakdowns and CUPED', () => {
  const parsed = parseDocument({
    version: 1,
    holdout: 0,
    campaigns: [
      {
        id: 'seg',
        slot: { selector: '#h', action: 'replace' },
        variants: [{ id: 'control' }, { id: 'b', html: 'B' }],
        weights: [0.5, 0.5],
        goals: ['purchase'],
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join());
  type Dimension = NonNullable<RawCounts['breakdowns']>[number]['dimension'];
  const arm = (variantId: string, visitors: number, converters: number) => ({
    exposure: { campaignId: 'seg', seed: 'seg', variantId, day: '2026-11-21', visitors },
    conversion: {
      campaignId: 'seg',
      seed: 'seg',
      variantId,
      goal: 'purchase',
      converters,
      valueSum: converters * 40,
      valueSumSq: converters * 1600,
    },
  });
  const cells: [Dimension, string, [number, number], [number, number]][] = [
    ['device', 'mobile', [45, 1], [50, 3]],
    ['device', 'desktop', [2000, 200], [2000, 260]],
    ['source', 'google.com', [300, 30], [310, 20]],
  ];
  const arms = [arm('control', 45, 1), arm('b', 50, 3)];
  const moments = {
    conversion: {
      control: { n: 45, sumY: 1, sumY2: 1, sumX: 140, sumX2: 600, sumXY: 9 },
      b: { n: 50, sumY: 3, sumY2: 3, sumX: 150, sumX2: 640, sumXY: 21 },
    },
    revenue: {
      control: { n: 45, sumY: 40, sumY2: 1600, sumX: 140, sumX2: 600, sumXY: 360 },
      b: { n: 50, sumY: 120, sumY2: 4800, sumX: 150, sumX2: 640, sumXY: 840 },
    },
  };
  const raw: RawCounts = {
    exposures: arms.map((a) => a.exposure),
    conversions: arms.map((a) => a.conversion),
    conversionsDaily: [],
    slots: [],
    breakdowns: cells.flatMap(([dimension, value, control, b]) =>
      (
        [
          ['control', control],
          ['b', b],
        ] as const
      ).flatMap(([variantId, [visitors, converters]]) => [
        { campaignId: 'seg', seed: 'seg', dimension, value, variantId, goal: '', visitors, converters: 0 },
        {
          campaignId: 'seg',
          seed: 'seg',
          dimension,
          value,
          variantId,
          goal: 'purchase',
          visitors,
          converters,
        },
      ]),
    ),
    cuped: (['conversion', 'revenue'] as const).flatMap((metric) =>
      (['control', 'b'] as const).map((variantId) => ({
        campaignId: 'seg',
        seed: 'seg',
        variantId,
        goal: 'purchase',
        metric,
        ...moments[metric][variantId],
      })),
    ),
  };
  const report = buildReport(parsed.doc, raw);
  const body = renderDashboard({ ...report, generatedAt: '2026-11-21T10:00:00.000Z', configVersion: 3 });
  const c = report.campaigns[0];
  const text = (id: string) => {
    const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return cellOf(body, escaped);
  };

  it('renders a table per dimension, value by variant, with method, p-values and warnings in words', () => {
    expect(body).toContain('By segment');
    expect(body).toContain('data-testid="seg-seg-device"');
    expect(body).toContain('data-testid="seg-seg-source"');
    expect(body).not.toContain('data-testid="seg-seg-cluster"');
    expect(text('seg-visitors-seg-device-mobile-control')).toBe('45');
    expect(text('seg-visitors-seg-device-mobile-b')).toBe('50');
    expect(text('seg-total-seg-device-desktop')).toBe('4,000');
    expect(text('seg-rate-seg-device-mobile-control-purchase')).toBe('2.22%');
    expect(text('seg-rate-seg-device-mobile-b-purchase')).toBe('6.00%');
    expect(text('seg-lift-seg-device-mobile-b-purchase')).toBe('+170.00%');
    expect(text('seg-method-seg-device-mobile-b-purchase')).toBe('Fisher exact test · Koopman interval');
    expect(text('seg-method-seg-device-desktop-b-purchase')).toBe('z-test · delta method');
    expect(text('seg-method-seg-source-google.com-b-purchase')).toBe('z-test · delta method');
    // scipy.stats.fisher_exact([[3, 47], [1, 44]]).pvalue -> 0.6190567433474317
    expect(text('seg-p-seg-device-mobile-b-purchase')).toBe('0.6191');
    for (const b of c?.breakdowns ?? []) {
      const g = b.variants[1]?.goals.purchase;
      const id = (kind: string) => `${kind}-seg-${b.dimension}-${b.value}-b-purchase`;
      expect(text(id('seg-ci')), b.value).toBe(fmt.ci(g?.ci));
      expect(text(id('seg-p')), b.value).toBe(fmt.p(g?.pValue));
      expect(text(id('seg-padj')), b.value).toBe(fmt.p(g?.adjustedPValue));
    }
    // Holm over three comparisons: the smallest p-value (desktop, 0.002942093070459276) times 3
    expect(text('seg-padj-seg-device-desktop-b-purchase')).toBe('0.0088');
    expect(text('seg-warning-seg-device-mobile')).toBe(
      'fewer than 100 visitors in an arm (the smallest has 45): too small to read on its own',
    );
    expect(body).not.toContain('data-testid="seg-warning-seg-device-desktop"');
    // three comparisons are not many
    expect(body).not.toContain('data-testid="seg-many-seg"');
    expect(body).not.toContain('<script');
  });

  it('says so when many comparisons are made', () => {
    const many: RawCounts = {
      ...raw,
      breakdowns: Array.from({ length: 12 }, (_, i) =>
        ['control', 'b'].flatMap((variantId) => [
          {
            campaignId: 'seg',
            seed: 'seg',
            dimension: 'cluster' as const,
            value: `c${i}`,
            variantId,
            goal: '',
            visitors: 200,
            converters: 0,
          },
          {
            campaignId: 'seg',
            seed: 'seg',
            dimension: 'cluster' as const,
            value: `c${i}`,
            variantId,
            goal: 'purchase',
            visitors: 200,
            converters: 20,
          },
        ]),
      ).flat(),
    };
    const page = renderDashboard({
      ...buildReport(parsed.doc, many),
      generatedAt: '2026-11-21T10:00:00.000Z',
      configVersion: 3,
    });
    expect(cellOf(page, 'seg-many-seg')).toBe(
      'With 12 comparisons, some look significant by chance; read the adjusted p-values.',
    );
    expect(page).toContain('By discovered cluster');
  });

  it('shows the exact interval and Fisher p-value for small overall counts beside the delta method', () => {
    const g = c?.variants[1]?.goals.purchase;
    expect(g?.smallSample).toBeDefined();
    expect(text('ci-seg-b-purchase')).toBe(fmt.ci(g?.ci));
    expect(text('ci-exact-seg-b-purchase')).toBe(fmt.ci(g?.smallSample?.ci));
    expect(text('p-exact-seg-b-purchase')).toBe('p = 0.6191');
    expect(body).not.toContain('data-testid="ci-exact-seg-control-purchase"');
  });

  it('shows the CUPED lift and interval beside the plain one, for conversion and revenue', () => {
    const g = c?.variants[1]?.goals.purchase;
    const conv = g?.cuped?.find((x) => x.metric === 'conversion');
    const rev = g?.cuped?.find((x) => x.metric === 'revenue');
    expect(conv && rev).toBeTruthy();
    expect(body).toContain('Lift, CUPED [95% interval]');
    expect(body).toContain('variance-reduced with pre-exposure pageviews (CUPED');
    expect(text('cuped-lift-seg-b-purchase')).toBe(fmt.lift(conv?.adjusted.lift));
    expect(text('cuped-ci-seg-b-purchase')).toBe(fmt.ci(conv?.adjusted.ci));
    expect(text('cuped-vr-seg-b-purchase')).toBe(fmt.pct(conv?.varianceReduction));
    expect(text('cuped-p-seg-b-purchase')).toBe(fmt.pIs(conv?.adjusted.pValue));
    expect(text('cuped-rev-lift-seg-b-purchase')).toBe(fmt.lift(rev?.adjusted.lift));
    expect(text('cuped-rev-ci-seg-b-purchase')).toBe(fmt.ci(rev?.adjusted.ci));
    expect(text('cuped-rev-plain-seg-b-purchase')).toBe(fmt.lift(rev?.plain.lift));
    expect(text('cuped-rev-plain-ci-seg-b-purchase')).toBe(fmt.ci(rev?.plain.ci));
    // the plain revenue lift: 120/50 vs 40/45 per visitor
    expect(text('cuped-rev-plain-seg-b-purchase')).toBe('+170.00%');
    // every row has as many cells as the header has columns
    const table = /<table data-testid="goal-seg-purchase"[\s\S]*?<\/table>/.exec(body)?.[0] ?? '';
    const heads = table.match(/<th>/g)?.length;
    for (const row of table.split('<tr>').slice(2)) expect(row.match(/<td/g)?.length).toBe(heads);
    expect(body).toContain('Koopman');
    expect(body).not.toContain('<script');
  });

  it('has neither section without the data', () => {
    const { breakdowns: _b, cuped: _c, ...plain } = raw;
    const page = renderDashboard({
      ...buildReport(parsed.doc, plain),
      generatedAt: '2026-11-21T10:00:00.000Z',
      configVersion: 3,
    });
    expect(page).not.toContain('By segment</h2>');
    expect(page).not.toContain('Lift, CUPED');
  });
});
