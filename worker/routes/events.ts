/**
 * @module events
 * `GET /__hio/admin/events?day=YYYY-MM-DD` (Bearer): the raw event log of one day (UTC), as NDJSON,
 * the day's R2 objects concatenated and streamed, without the lines of erased visitors
 * (db/event-log.ts). A day of many objects comes in pages: when more remain, the answer carries
 * `X-HIO-Next-Cursor`, to pass back as `&cursor=`. `limit` (1-1000, default 500) is objects per page.
 * A line may appear twice after a queue redelivery; `visitor` + `id` identifies an event.
 */
import { DAY_PATTERN, erasedPseudonyms, readDay } from '../db/event-log.ts';
import type { Deps } from '../types.ts';
import { jsonError } from './json.ts';

export const NEXT_CURSOR_HEADER = 'x-hio-next-cursor';

export async function handleEvents(deps: Deps, req: Request): Promise<Response> {
  const bucket = deps.env.HIO_EVENTS;
  if (!bucket) return jsonError(404, 'no event log here: the HIO_EVENTS R2 binding is not configured');
  const q = new URL(req.url).searchParams;
  const day = q.get('day') ?? '';
  const start = DAY_PATTERN.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== day)
    return jsonError(400, 'day must be a date, YYYY-MM-DD (UTC)');
  const limitRaw = q.get('limit');
  const limit = limitRaw === null ? 500 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    return jsonError(400, 'limit must be an integer from 1 to 1000');
  const erased = await erasedPseudonyms(deps.env.HIO_DB, deps.config.secret);
  const page = await readDay(bucket, day, erased, { cursor: q.get('cursor') ?? undefined, limit });
  const headers = new Headers({
    'content-type': 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-store',
    'x-hio-objects': String(page.objects),
  });
  if (page.cursor) headers.set(NEXT_CURSOR_HEADER, page.cursor);
  return new Response(page.body, { headers });
}
