/**
 * @module bench/lib/visitor
 * The benchmark visitor: loads the campaign document into a HIO instance through the admin API, makes
 * a returning visitor interested in shoes (product pages viewed before, two page views and a beacon
 * batch, as the browser script would send), and reads back through `/__hio/me` what HIO decides for them. From that decision it
 * derives the writes the rewrite floor injects.
 */
import { readFile } from 'node:fs/promises';

let seq = 0;
const eventId = () => `bench${process.pid}x${(++seq).toString(36).padStart(4, '0')}`;

export async function loadCampaigns(path) {
  return JSON.parse(await readFile(path, 'utf8'));
}

/** PUTs the campaign document; throws with HIO's list of problems when refused. */
export async function putConfig(client, doc, adminToken) {
  const res = await client.request('PUT', '/__hio/admin/config', {
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(doc),
    keepBody: true,
  });
  if (res.status !== 200) throw new Error(`PUT /__hio/admin/config: ${res.status} ${res.body}`);
}

async function collect(client, cookie, events) {
  const res = await client.request('POST', '/__hio/collect', {
    headers: { cookie, 'content-type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify({ events }),
    keepBody: true,
  });
  if (res.status !== 204) throw new Error(`POST /__hio/collect: ${res.status} ${res.body}`);
}

/**
 * Creates and seeds the benchmark visitor on one HIO instance; resolves to its cookie pair. `items`
 * (catalogue items `{ id, url, category }`, oldest first) are product pages the visitor viewed before,
 * each reported by its own beacon as the browser script would (a pageview with the page's item), so
 * the profile holds their item views (`iv.`) for recommendations; every instance gets the same ones.
 */
export async function seedVisitor(client, pagePath, items = []) {
  const first = await client.get(pagePath, { keepBody: true });
  const setCookie = [first.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('hio_vid='));
  if (!setCookie) throw new Error(`HIO set no visitor cookie on ${pagePath} (status ${first.status})`);
  const cookie = setCookie.split(';')[0];
  for (const item of items)
    await collect(client, cookie, [
      { t: 'pageview', id: eventId(), path: item.url, category: item.category, item: item.id },
    ]);
  await client.get(pagePath, { headers: { cookie } });
  // what the browser script reports for those two pages: pageviews (which count visits), reading
  await collect(client, cookie, [
    { t: 'pageview', id: eventId(), path: pagePath },
    { t: 'pageview', id: eventId(), path: '/c/shoes', category: 'shoes' },
    { t: 'scroll', id: eventId(), depth: 75 },
    { t: 'engaged', id: eventId(), ms: 40_000 },
  ]);
  return cookie;
}

export async function explain(client, cookie) {
  const res = await client.get('/__hio/me', {
    headers: { cookie, accept: 'application/json' },
    keepBody: true,
  });
  if (res.status !== 200) throw new Error(`GET /__hio/me: ${res.status} ${res.body}`);
  return JSON.parse(res.body.toString('utf8'));
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The contract's templates: `{{ name }}` is a visitor attribute, HTML-escaped; nothing else is evaluated. */
export function render(html, attributes) {
  return html.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (_, name) => {
    let cur = attributes;
    for (const k of name.split('.')) cur = cur && typeof cur === 'object' ? cur[k] : undefined;
    const s = cur === undefined || cur === null || typeof cur === 'object' ? '' : String(cur);
    return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
  });
}

/**
 * The floor's writes: what HIO shows this visitor (`/me`: assigned campaigns, in decision order), with
 * the variants' html from the document rendered with the visitor's attributes.
 */
export function floorWrites(doc, me) {
  const writes = [];
  for (const e of me.campaigns) {
    if (e.status !== 'assigned') continue;
    const c = doc.campaigns.find((x) => x.id === e.campaign);
    const variant = c?.variants.find((x) => x.id === e.variant);
    if (!c?.slot || !variant)
      throw new Error(`cannot mirror campaign ${e.campaign}: multi-slot or unknown variant`);
    const src = c.slot.action === 'setAttribute' ? variant.value : variant.html;
    if (src === undefined) throw new Error(`campaign ${c.id}: the bench visitor got a control variant`);
    writes.push({
      selector: c.slot.selector,
      action: c.slot.action,
      name: c.slot.name,
      campaign: c.id,
      variant: variant.id,
      content: render(src, me.attributes),
    });
  }
  return writes;
}
