/**
 * The item catalogue through the real worker and D1: validated whole (every problem with its path,
 * nothing changed), replaced whole, read back exactly as it can be PUT again, thousands of items.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call } from '../test/helpers.ts';

const put = (body: unknown, headers: Record<string, string> = {}) =>
  call('/__hio/admin/catalog', {
    method: 'PUT',
    headers: { ...ADMIN, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (query = '') => call(`/__hio/admin/catalog${query}`, { headers: ADMIN });

const ITEMS = [
  {
    id: 'boot-1',
    url: '/p/boot-1',
    title: 'Summit boot',
    price: 189,
    category: 'Shoes',
    image: '/img/b1.jpg',
  },
  { id: 'bag-2', url: 'https://shop.example/p/bag-2', title: 'Day pack', available: false },
];

describe('/__hio/admin/catalog', () => {
  it('stores a valid catalogue and gives it back as it can be PUT again', async () => {
    const res = await put({ items: ITEMS });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, items: 2 });
    const back = await get();
    expect(back.status).toBe(200);
    expect(back.headers.get('x-hio-items-uploaded')).toBe('2');
    const body = (await back.json()) as { items: unknown[] };
    // in id order; the category as stored (lower case)
    expect(body.items).toEqual([
      { id: 'bag-2', url: 'https://shop.example/p/bag-2', title: 'Day pack', available: false },
      {
        id: 'boot-1',
        url: '/p/boot-1',
        title: 'Summit boot',
        price: 189,
        category: 'shoes',
        image: '/img/b1.jpg',
      },
    ]);
    expect((await put(body)).status).toBe(200);
    // replaced whole: an item left out is gone
    expect((await put({ items: [ITEMS[0]] })).status).toBe(200);
    expect(((await (await get()).json()) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([
      'boot-1',
    ]);
  });

  it('takes thousands of items', async () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({
      id: `item-${i}`,
      url: `/p/item-${i}`,
      title: `Item number ${i}`,
      price: i % 300,
      category: `cat-${i % 12}`,
    }));
    const res = await put({ items });
    expect(res.status).toBe(200);
    const n = await env.HIO_DB.prepare(
      "SELECT COUNT(*) AS n FROM catalog_items WHERE source = 'upload'",
    ).first<{
      n: number;
    }>();
    expect(n?.n).toBe(5000);
  });

  it('refuses a bad catalogue with every problem and its path, and changes nothing', async () => {
    expect((await put({ items: ITEMS })).status).toBe(200);
    const bad = [
      [{ items: [{ id: 'x', url: '/x', title: 'X', colour: 'red' }] }, /items\[0\]/],
      [{ items: [{ id: 'x', url: 'javascript:alert(1)', title: 'X' }] }, /items\[0\]\.url/],
      [{ items: [{ id: 'x', url: '//evil.example/x', title: 'X' }] }, /items\[0\]\.url/],
      [{ items: [{ id: 'x', url: '/x"onmouseover=1', title: 'X' }] }, /items\[0\]\.url/],
      [{ items: [{ id: 'has space', url: '/x', title: 'X' }] }, /items\[0\]\.id/],
      [{ items: [{ id: 'x', url: '/x', title: '' }] }, /items\[0\]\.title/],
      [{ items: [{ id: 'x', url: '/x', title: 'X', price: -1 }] }, /items\[0\]\.price/],
      [
        {
          items: [
            { id: 'x', url: '/x', title: 'X' },
            { id: 'x', url: '/y', title: 'Y' },
          ],
        },
        /items\[1\]\.id.*already items\[0\]/,
      ],
      [{ products: [] }, /products|items/],
      ['{not json', /not valid JSON/],
    ] as const;
    for (const [body, problem] of bad) {
      const res = await put(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const out = (await res.json()) as { error: string; problems: string[] };
      expect(out.problems.join('\n'), JSON.stringify(body)).toMatch(problem);
    }
    expect((await put({ items: ITEMS }, { 'content-type': 'text/plain' })).status).toBe(415);
    expect(((await (await get()).json()) as { items: unknown[] }).items).toHaveLength(2);
    expect((await get('?source=nope')).status).toBe(400);
  });

  it('needs the admin token', async () => {
    const res = await call('/__hio/admin/catalog', { method: 'PUT', body: JSON.stringify({ items: [] }) });
    expect(res.status).toBe(401);
  });
});
