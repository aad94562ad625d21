import { describe, expect, it } from 'vitest';
import { ADMIN, call } from '../test/helpers.ts';

/** HIO's own responses with a body: none may be sniffed into another type. */
describe('X-Content-Type-Options: nosniff on HIO own responses', () => {
  it('on the browser script: 200, HEAD and 304', async () => {
    const js = await call('/__hio/client.js');
    expect(js.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = js.headers.get('etag') as string;
    await js.text();
    const head = await call('/__hio/client.js', { method: 'HEAD' });
    expect(head.headers.get('x-content-type-options')).toBe('nosniff');
    const again = await call('/__hio/client.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('on the JSON routes, the admin API and the dashboard', async () => {
    const paths: [string, RequestInit][] = [
      ['/__hio/health', {}],
      ['/__hio/me', {}],
      ['/__hio/no-such-route', {}],
      ['/__hio/admin/config', { headers: ADMIN }],
      ['/__hio/admin/results', { headers: ADMIN }],
      ['/__hio/dashboard', {}],
      ['/__hio/admin/results?format=csv', { headers: ADMIN }],
      ['/__hio/admin/config', {}],
      ['/__hio/admin/config', { headers: { authorization: 'Bearer wrong' } }],
    ];
    for (const [path, init] of paths) {
      const res = await call(path, init);
      await res.arrayBuffer();
      expect(res.headers.get('x-content-type-options'), `${path} ${res.status}`).toBe('nosniff');
    }
  });
});
