// Node http plumbing the router needs: request cookies and bodies, and responses with an ETag (answering a
// matching If-None-Match with a 304), 303 redirects carrying Set-Cookie, and 405s.

import { createHash } from 'node:crypto';

export const HTML_TYPE = 'text/html; charset=utf-8';

const etagOf = (body) => `"${createHash('sha1').update(body).digest('base64url')}"`;

export function parseCookies(header) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (!k || k in out) continue;
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[k] = part.slice(i + 1).trim();
    }
  }
  return out;
}

export function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function send(req, res, status, body, headers = {}) {
  const buf = Buffer.from(body);
  const etag = etagOf(buf);
  const h = { ETag: etag, ...headers };
  const inm = req.headers['if-none-match'];
  if (status === 200 && inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    const { 'Content-Type': _ct, ...rest } = h;
    res.writeHead(304, rest);
    res.end();
    return;
  }
  res.writeHead(status, { ...h, 'Content-Length': buf.length });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

export function sendHtml(req, res, status, html, setCookies = []) {
  const headers = { 'Content-Type': HTML_TYPE, 'Cache-Control': 'no-cache', Vary: 'Cookie' };
  if (setCookies.length) headers['Set-Cookie'] = setCookies;
  send(req, res, status, html, headers);
}

export function redirect(res, location, setCookies = []) {
  const headers = { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store' };
  if (setCookies.length) headers['Set-Cookie'] = setCookies;
  res.writeHead(303, headers);
  res.end();
}

export function methodNotAllowed(res, allow) {
  res.writeHead(405, { Allow: allow, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Method Not Allowed\n');
}
