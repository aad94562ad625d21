/**
 * The measurement queue and the event log, on Miniflare's real queue, D1 and R2 (wrangler.toml's
 * bindings; vitest.config.ts shortens the consumers' batch timeout and retries). The other worker tests
 * run with MEASUREMENT_QUEUE=off; here requests go through an env with it on, so their records travel
 * through HIO_QUEUE to the consumer (worker/queue.ts), which the runtime calls as it would in production.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dayPrefix, pseudonym, purgeEventLog } from './db/event-log.ts';
import type { ReplayRecord } from './db/measurement.ts';
import { createDeps } from './deps.ts';
import { persistMeasurement } from './edge/persist.ts';
import type { Bindings } from './env.ts';
import worker from './index.ts';
import { MAX_RETRY_DELAY_SECONDS, type QueuedRecord, retryDelay } from './queue.ts';
import {
  ADMIN,
  BASE,
  call,
  collect,
  DESKTOP_UA,
  eventId,
  putConfig,
  settle,
  visitorCookie,
} from './test/helpers.ts';

const queued = { ...env, MEASUREMENT_QUEUE: 'on' } as Bindings;

/** A request through the worker with the queue on; its waitUntil work (the send) is awaited. */
async function callQueued(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('user-agent')) headers.set('user-agent', DESKTOP_UA);
  const ctx = createExecutionContext();
  const req = new Request(BASE + path, { ...init, headers }) as Request<unknown, IncomingRequestCfProperties>;
  const res = await worker.fetch(req, queued, ctx);
  await res.arrayBuffer().catch(() => undefined);
  await waitOnExecutionContext(ctx);
  return res;
}

const beacon = (cookie: string, events: unknown[]) =>
  callQueued('/__hio/collect', {
    method: 'POST',
    headers: { cookie, 'content-type': 'text/plain' },
    body: JSON.stringify({ v: 1, events }),
  });

const n = async (sql: string, ...params: unknown[]) =>
  (
    await env.HIO_DB.prepare(sql)
      .bind(...params)
      .first<{ n: number | null }>()
  )?.n ?? 0;

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function dayLines(day: string): Promise<Record<string, unknown>[]> {
  const listed = await env.HIO_EVENTS.list({ prefix: dayPrefix(day) });
  const out: Record<string, unknown>[] = [];
  for (const o of listed.objects) {
    const text = (await (await env.HIO_EVENTS.get(o.key))?.text()) ?? '';
    for (const l of text.split('\n')) if (l) out.push(JSON.parse(l) as Record<string, unknown>);
  }
  return out;
}

const textOf = async (res: Response) => new TextDecoder().decode(await res.arrayBuffer());

const today = () => new Date().toISOString().slice(0, 10);

const doc = (id: string) => ({
  version: 1,
  campaigns: [
    {
      id,
      slot: { selector: '#hero', action: 'replace' },
      variants: [{ id: 'v', html: '<b>x</b>' }],
      goals: ['buy'],
    },
  ],
});

/** A consumer batch run directly (cloudflare:test), for what must be exact: acks, retries, counts. */
async function consume(queue: string, bodies: QueuedRecord[], attempts = 1, withEnv: Bindings = env) {
  const batch = createMessageBatch<QueuedRecord>(
    queue,
    bodies.map((body, i) => ({ id: `m${i}-${Math.random()}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, withEnv, ctx);
  return getQueueResult(batch, ctx);
}

const record = (visitorId: string, campaign: string, over: Partial<QueuedRecord['measurement']> = {}) =>
  ({
    visitorId,
    at: Date.now(),
    measurement: {
      exposures: [{ campaignId: campaign, seed: campaign, variantId: 'v' }],
      conversions: [],
      slotEvents: [],
      ...over,
    },
  }) satisfies QueuedRecord;

afterEach(() => vi.restoreAllMocks());

describe('the measurement queue', () => {
  it('carries page and beacon rows to D1 after the response, and the events to R2 by day', async () => {
    expect((await putConfig(doc('q-e2e'))).status).toBe(200);
    await settle();
    const visitors: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await callQueued('/page', { headers: { accept: 'text/html' } });
      const cookie = visitorCookie(res);
      visitors.push(cookie);
      expect(
        (
          await beacon(cookie, [
            { t: 'pageview', id: eventId(), path: '/page' },
            { t: 'conversion', id: eventId(), goal: 'buy', value: 10 },
          ])
        ).status,
      ).toBe(204);
    }
    // the requests are done and their work awaited: the rows are on the queue, not yet in D1
    const exposed = "SELECT COUNT(*) AS n FROM exposures WHERE campaign_id = 'q-e2e'";
    expect(await n(exposed)).toBe(0);
    expect(
      await until(
        () => n(exposed),
        (v) => v === 3,
      ),
    ).toBe(3);
    expect(
      await until(
        () => n("SELECT COUNT(*) AS n FROM conversion_events WHERE campaign_id = 'q-e2e'"),
        (v) => v === 3,
      ),
    ).toBe(3);
    const ids = visitors.map((c) => c.slice('hio_vid='.length).split('.')[0] as string);
    const names = await Promise.all(ids.map((id) => pseudonym('test-secret', id)));
    const lines = await until(
      () => dayLines(today()),
      (l) => l.filter((x) => names.includes(x.visitor as string)).length >= 6,
    );
    const mine = lines.filter((l) => names.includes(l.visitor as string));
    expect(mine).toHaveLength(6);
    for (const l of mine) {
      expect(l.day).toBe(today());
      expect(typeof l.at).toBe('number');
      expect(['pageview', 'conversion']).toContain(l.t);
    }
    // pseudonymous: the visitor id itself is nowhere in the log
    const raw = JSON.stringify(lines);
    for (const id of ids) expect(raw).not.toContain(id);
  });

  it('writes a batch of many records in shared transactions, and a redelivered batch counts once', async () => {
    const bodies = Array.from({ length: 100 }, (_, i) =>
      record(`QB${String(i).padStart(20, '0')}`, 'q-batch', {
        conversions: [
          {
            eventId: `cv-${i}`,
            campaignId: 'q-batch',
            seed: 'q-batch',
            variantId: 'v',
            goal: 'buy',
            value: 1,
          },
        ],
        slotEvents: [
          { eventId: `im-${i}`, kind: 'impression', campaignId: 'q-batch', seed: 'q-batch', variantId: 'v' },
        ],
      }),
    );
    const batches: number[] = [];
    const realBatch = env.HIO_DB.batch.bind(env.HIO_DB);
    vi.spyOn(env.HIO_DB, 'batch').mockImplementation((stmts) => {
      batches.push(stmts.length);
      return realBatch(stmts);
    });
    for (let round = 0; round < 2; round++) {
      const result = await consume('hio-measurement', bodies, round + 1);
      expect(result.explicitAcks).toHaveLength(100);
      expect(result.retryMessages).toEqual([]);
    }
    vi.restoreAllMocks();
    // 100 records of 7 statements each: two transactions of at most 500 statements per delivery
    expect(batches).toEqual([497, 203, 497, 203]);
    expect(await n("SELECT COUNT(*) AS n FROM exposures WHERE campaign_id = 'q-batch'")).toBe(100);
    expect(await n("SELECT COUNT(*) AS n FROM conversion_events WHERE campaign_id = 'q-batch'")).toBe(100);
    expect(await n("SELECT SUM(impressions) AS n FROM slot_daily WHERE campaign_id = 'q-batch'")).toBe(100);
    expect(
      await n(
        "SELECT SUM(count) AS n FROM minute_counts WHERE campaign_id = 'q-batch' AND metric = 'exposures'",
      ),
    ).toBe(100);
    expect(
      await n(
        "SELECT SUM(count) AS n FROM minute_counts WHERE campaign_id = 'q-batch' AND metric = 'conversion:buy'",
      ),
    ).toBe(100);
  });

  it('counts an event that two messages of one batch both carry once (one transaction, guards in order)', async () => {
    const visitor = 'QDUP000000000000000000';
    const same = record(visitor, 'q-dup', {
      conversions: [
        { eventId: 'cv-dup', campaignId: 'q-dup', seed: 'q-dup', variantId: 'v', goal: 'buy', value: 4 },
      ],
      slotEvents: [{ eventId: 'im-dup', kind: 'click', campaignId: 'q-dup', seed: 'q-dup', variantId: 'v' }],
    });
    const result = await consume('hio-measurement', [same, { ...same, at: same.at + 1 }, same]);
    expect(result.explicitAcks).toHaveLength(3);
    expect(await n("SELECT COUNT(*) AS n FROM exposures WHERE campaign_id = 'q-dup'")).toBe(1);
    expect(await n("SELECT SUM(value) AS n FROM conversion_events WHERE campaign_id = 'q-dup'")).toBe(4);
    expect(await n("SELECT SUM(clicks) AS n FROM slot_daily WHERE campaign_id = 'q-dup'")).toBe(1);
    expect(await n("SELECT SUM(count) AS n FROM minute_counts WHERE campaign_id = 'q-dup'")).toBe(3);
  });

  it('writes nothing back for a visitor erased while their message waited', async () => {
    const visitor = 'QERASED000000000000000';
    await createDeps(env, createExecutionContext()).measurement.eraseVisitor(visitor, Date.now());
    const late: QueuedRecord = {
      ...record(visitor, 'q-erased'),
      events: [{ t: 'pageview', id: 'pv-erased-1', path: '/erased' }],
    };
    const result = await consume('hio-measurement', [late]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await n("SELECT COUNT(*) AS n FROM exposures WHERE campaign_id = 'q-erased'")).toBe(0);
    const name = await pseudonym('test-secret', visitor);
    expect((await dayLines(today())).filter((l) => l.visitor === name)).toEqual([]);
  });

  it('retries what D1 refuses, then the dead-letter consumer writes the good records and logs the rest', async () => {
    // a real D1 failure for one campaign's exposures (a trigger), dropped afterwards
    await env.HIO_DB.prepare(
      "CREATE TRIGGER q_poison BEFORE INSERT ON exposures WHEN NEW.campaign_id = 'q-poison' BEGIN SELECT RAISE(ABORT, 'test: refused'); END",
    ).run();
    try {
      const errors: string[] = [];
      const original = console.error.bind(console);
      vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
        errors.push(args.map(String).join(' '));
        original(...args);
      });
      // both records travel in one message batch; the poison one fails the shared transaction
      const good = record('QGOOD00000000000000000', 'q-good');
      const poison = record('QPOISON000000000000000', 'q-poison');
      await Promise.all([
        env.HIO_QUEUE.send(good, { contentType: 'json' }),
        env.HIO_QUEUE.send(poison, { contentType: 'json' }),
      ]);
      const replayLine = await until(
        async () => errors.find((l) => l.includes('hio-replay') && l.includes('q-poison')),
        (l) => l !== undefined,
        20_000,
      );
      expect(replayLine).toBeDefined();
      // the main consumer tried, and retried (max_retries 2 in the test config)
      expect(
        errors.filter((l) => l.includes('measurement batch of') && l.includes('failed')).length,
      ).toBeGreaterThanOrEqual(3);
      // the dead-letter consumer wrote the good record on its own, and logged the poison one
      expect(
        await until(
          () => n("SELECT COUNT(*) AS n FROM exposures WHERE campaign_id = 'q-good'"),
          (v) => v === 1,
        ),
      ).toBe(1);
      const line = JSON.parse(replayLine as string) as { record: ReplayRecord; sig: string };
      expect(line.record).toEqual(poison);
      await env.HIO_DB.prepare('DROP TRIGGER q_poison').run();
      // not lost: once D1 takes it again, the logged record replays
      const res = await call('/__hio/admin/replay', {
        method: 'POST',
        headers: { ...ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ records: [{ record: line.record, sig: line.sig }] }),
      });
      expect(await res.json()).toEqual({ replayed: 1, skippedErased: 0 });
      expect(await n("SELECT COUNT(*) AS n FROM exposures WHERE campaign_id = 'q-poison'")).toBe(1);
    } finally {
      await env.HIO_DB.prepare('DROP TRIGGER IF EXISTS q_poison').run();
    }
  });

  it('asks for redelivery with a delay when D1 fails, and acknowledges nothing', async () => {
    await env.HIO_DB.prepare(
      "CREATE TRIGGER q_down BEFORE INSERT ON exposures WHEN NEW.campaign_id = 'q-down' BEGIN SELECT RAISE(ABORT, 'test: down'); END",
    ).run();
    try {
      const errors: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
      const slow = { ...env, QUEUE_RETRY_DELAY_SECONDS: '10' } as Bindings;
      const result = await consume('hio-measurement', [record('QDOWN00000000000000000', 'q-down')], 3, slow);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      // the delay doubles per attempt: 10 s, 20 s, then 40 s before the fourth (cloudflare:test's batch
      // does not report it, the log line does)
      expect(errors.join('\n')).toContain('(attempt 3); retrying in 40s');
      expect([1, 2, 3, 20].map((a) => retryDelay(10, a))).toEqual([10, 20, 40, MAX_RETRY_DELAY_SECONDS]);
    } finally {
      await env.HIO_DB.prepare('DROP TRIGGER IF EXISTS q_down').run();
    }
  });

  it('still writes the rows when a setting went bad after the messages were sent', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const broken = { ...env, ORIGIN_URL: 'not a url' } as Bindings;
    const result = await consume('hio-measurement', [record('QCONF00000000000000000', 'q-conf')], 1, broken);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await n("SELECT COUNT(*) AS n FROM exposures WHERE campaign_id = 'q-conf'")).toBe(1);
  });

  it('writes D1 directly when the queue refuses a record, and loses nothing', async () => {
    const deps = createDeps(queued, createExecutionContext());
    const visitor = 'QBIG000000000000000000';
    // larger than a queue message may be (128 KB): send fails, the direct write takes over
    const events = Array.from({ length: 150 }, (_, i) => ({
      t: 'pageview' as const,
      id: `pv-big-${i}`,
      path: `/${'x'.repeat(1000)}`,
    }));
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    await persistMeasurement(
      deps,
      {
        visitorId: visitor,
        at: Date.now(),
        profile: null,
        measurement: record(visitor, 'q-big').measurement,
      },
      events,
    );
    expect(await n("SELECT COUNT(*) AS n FROM exposures WHERE campaign_id = 'q-big'")).toBe(1);
    const name = await pseudonym('test-secret', visitor);
    expect((await dayLines(today())).filter((l) => l.visitor === name)).toHaveLength(150);
  });
});

describe('GET /__hio/admin/events', () => {
  it("streams the day's events as NDJSON without an erased visitor's", async () => {
    const cookies: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await call('/page', { headers: { accept: 'text/html' } });
      cookies.push(visitorCookie(res));
      await res.text();
    }
    const [keep, erase] = cookies as [string, string];
    for (const c of cookies)
      expect(
        (await collect(c, { events: [{ t: 'pageview', id: eventId(), path: '/ev-route' }] })).status,
      ).toBe(204);
    await settle();
    const linesOf = async () => {
      const res = await call(`/__hio/admin/events?day=${today()}`, { headers: ADMIN });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      return (await textOf(res))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.path === '/ev-route');
    };
    const name = async (cookie: string) =>
      pseudonym('test-secret', cookie.slice('hio_vid='.length).split('.')[0] as string);
    expect((await linesOf()).map((l) => l.visitor).sort()).toEqual(
      [await name(keep), await name(erase)].sort(),
    );
    expect((await call('/__hio/me', { method: 'DELETE', headers: { cookie: erase } })).status).toBeLessThan(
      300,
    );
    await settle();
    expect((await linesOf()).map((l) => l.visitor)).toEqual([await name(keep)]);
  });

  it('pages through a day of many objects, and refuses a bad day or no token', async () => {
    const day = '2020-01-02';
    for (let i = 0; i < 3; i++)
      await env.HIO_EVENTS.put(
        `${dayPrefix(day)}0000-${i}.ndjson`,
        `${JSON.stringify({ day, visitor: 'p', t: 'pageview', id: `x${i}` })}\n`,
      );
    const first = await call(`/__hio/admin/events?day=${day}&limit=2`, { headers: ADMIN });
    const cursor = first.headers.get('x-hio-next-cursor');
    expect((await textOf(first)).trim().split('\n')).toHaveLength(2);
    expect(cursor).toBeTruthy();
    const second = await call(
      `/__hio/admin/events?day=${day}&limit=2&cursor=${encodeURIComponent(cursor as string)}`,
      {
        headers: ADMIN,
      },
    );
    expect((await textOf(second)).trim().split('\n')).toHaveLength(1);
    expect(second.headers.get('x-hio-next-cursor')).toBeNull();
    expect((await call('/__hio/admin/events?day=2020-13-45', { headers: ADMIN })).status).toBe(400);
    expect((await call(`/__hio/admin/events?day=${day}`)).status).toBe(401);
  });
});

describe('the event log retention', () => {
  it('deletes the day partitions whose first moment is past the retention, and only those', async () => {
    const put = (day: string, i: number) => env.HIO_EVENTS.put(`${dayPrefix(day)}0000-r${i}.ndjson`, '{}\n');
    await Promise.all([
      put('2019-03-01', 1),
      put('2019-03-01', 2),
      put('2019-03-02', 1),
      put('2019-03-03', 1),
    ]);
    const now = Date.parse('2019-03-12T12:00:00Z');
    // 10 days: 2019-03-02T12:00 is the limit, so 03-01 and 03-02 (which began before it) go
    expect(await purgeEventLog(env.HIO_EVENTS, now, 10 * 86_400_000)).toBe(3);
    const left = await env.HIO_EVENTS.list({ prefix: 'events/day=2019-03' });
    expect(left.objects.map((o) => o.key)).toEqual([`${dayPrefix('2019-03-03')}0000-r1.ndjson`]);
  });
});
