/**
 * @module template-safe
 * Context-aware templates. A template compiles to the parts of template.ts plus one more kind: the
 * whole value of a URL attribute that holds a placeholder. That value is rendered (escaped, as
 * everywhere), then read as the browser will read it (character references decoded, tabs and
 * newlines dropped, the scheme found as the URL parser finds it) and kept only if it is an http(s)
 * URL or a relative one; otherwise the attribute renders empty. The check is on the final value,
 * fixed text included, so `href="{{ utm_source }}"` cannot become `javascript:` and
 * `href="/search?q={{ q }}"` stays a relative URL whatever `q` holds.
 *
 * Protocol-relative results (`//host`, `/\host`) are dropped too: a fixed `/` before a placeholder
 * means a path on this site, and a value that turns it into another host is not what was written.
 * A template that means another host writes `https://host/` itself.
 */

import { parseTemplate, renderTemplate, type Template } from './template.ts';
import {
  attributeContext,
  attributeTemplateProblems,
  HOLE,
  scanTemplate,
  type UrlKind,
  unsafeTemplateProblems,
  urlKind,
} from './template-context.ts';

export type SafePart = Template[number] | { url: UrlKind; value: Template };
export type SafeTemplate = readonly SafePart[];

export type SafeCompileResult =
  | { ok: true; template: SafeTemplate; problems: [] }
  | { ok: false; problems: string[] };

/** Compiles a variant's html template; refused (with `where` in each problem) when a placeholder sits where escaping is not safe. */
export function compileSafeTemplate(src: string, where = 'html'): SafeCompileResult {
  const parsed = parseTemplate(src);
  if (!parsed.ok) return { ok: false, problems: [`${where}: ${parsed.error}`] };
  const problems = unsafeTemplateProblems(src, where);
  if (problems.length) return { ok: false, problems };
  const { scanned, placeholders } = scanTemplate(src, 'html');
  // the source with each placeholder as one HOLE: positions match `scanned`, literal text is the original
  const joined = parsed.template.map((p) => (typeof p === 'string' ? p : HOLE)).join('');
  const spans = new Map<number, { end: number; kind: UrlKind }>();
  for (const p of placeholders) {
    if (p.context === 'url-attr' && p.attribute)
      spans.set(p.attribute.start, { end: p.attribute.end, kind: urlKind(p.attribute.name) });
  }
  const paths = parsed.template.filter((p) => typeof p !== 'string');
  let hole = 0;
  const piece = (from: number, to: number): Template => {
    const parts: Template[number][] = [];
    let last = from;
    for (let i = from; i < to; i++) {
      if (scanned[i] !== HOLE) continue;
      if (i > last) parts.push(joined.slice(last, i));
      const p = paths[hole++];
      if (p) parts.push(p);
      last = i + 1;
    }
    if (to > last) parts.push(joined.slice(last, to));
    return parts;
  };
  const out: SafePart[] = [];
  let at = 0;
  for (const [start, { end, kind }] of [...spans].sort((a, b) => a[0] - b[0])) {
    out.push(...piece(at, start));
    out.push({ url: kind, value: piece(start, end) });
    at = end;
  }
  out.push(...piece(at, scanned.length));
  return { ok: true, template: out, problems: [] };
}

/**
 * Compiles the value template of a `setAttribute` slot writing attribute `name`: refused when it has
 * placeholders and the attribute runs code; a URL attribute's whole value is checked at render time.
 */
export function compileSafeAttribute(name: string, src: string, where = 'value'): SafeCompileResult {
  const parsed = parseTemplate(src);
  if (!parsed.ok) return { ok: false, problems: [`${where}: ${parsed.error}`] };
  const problems = attributeTemplateProblems(name, src, where);
  if (problems.length) return { ok: false, problems };
  const hasPlaceholder = parsed.template.some((p) => typeof p !== 'string');
  if (attributeContext(undefined, name) === 'url-attr' && hasPlaceholder)
    return { ok: true, template: [{ url: urlKind(name), value: parsed.template }], problems: [] };
  return { ok: true, template: parsed.template, problems: [] };
}

/** Renders a compiled template; a plain `Template` renders as renderTemplate renders it. */
export function renderSafe(t: SafeTemplate, attrs: Record<string, unknown>): string {
  let out = '';
  for (const part of t) {
    if (typeof part === 'string' || !('url' in part)) out += renderTemplate([part], attrs);
    else {
      const value = renderTemplate(part.value, attrs);
      if (isSafeUrlValue(value, part.url)) out += value;
    }
  }
  return out;
}

// Named character references that decode to ASCII (the rest decode to non-ASCII, which cannot form a scheme).
const NAMED: Record<string, string> = {
  Tab: '\t',
  NewLine: '\n',
  excl: '!',
  quot: '"',
  QUOT: '"',
  num: '#',
  dollar: '$',
  percnt: '%',
  amp: '&',
  AMP: '&',
  apos: "'",
  lpar: '(',
  rpar: ')',
  ast: '*',
  midast: '*',
  plus: '+',
  comma: ',',
  period: '.',
  sol: '/',
  colon: ':',
  semi: ';',
  lt: '<',
  LT: '<',
  equals: '=',
  gt: '>',
  GT: '>',
  quest: '?',
  commat: '@',
  lsqb: '[',
  lbrack: '[',
  bsol: '\\',
  rsqb: ']',
  rbrack: ']',
  Hat: '^',
  lowbar: '_',
  UnderBar: '_',
  grave: '`',
  DiacriticalGrave: '`',
  lcub: '{',
  lbrace: '{',
  verbar: '|',
  vert: '|',
  VerticalLine: '|',
  rcub: '}',
  rbrace: '}',
  fjlig: 'fj',
};
// Legacy references the browser also decodes without `;` (of those, the ones that give ASCII).
const LEGACY = new Set(['amp', 'AMP', 'lt', 'LT', 'gt', 'GT', 'quot', 'QUOT']);
/** Stands for a reference this decoder does not know, which might decode to a letter or a colon. */
const UNKNOWN = '\u0000';

/** An attribute value as the browser reads it (HTML character references decoded, in attribute mode). */
export function decodeAttributeValue(html: string): string {
  return decode(html, (ref) => ref);
}

/**
 * `unknown` gives what a `&name;` that this decoder does not know becomes: the browser may decode it
 * (to a non-ASCII character, as far as the table here goes) or leave it as it is.
 */
function decode(html: string, unknown: (ref: string) => string): string {
  return html.replace(
    /&(?:#[xX]([0-9A-Fa-f]+);?|#([0-9]+);?|([A-Za-z][A-Za-z0-9]*)(;?))/g,
    (
      m: string,
      hex: string | undefined,
      dec: string | undefined,
      name: string | undefined,
      semi: string | undefined,
      offset: number,
    ) => {
      if (hex !== undefined || dec !== undefined) {
        const cp = Number.parseInt(hex ?? dec ?? '', hex !== undefined ? 16 : 10);
        if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
          return '\uFFFD';
        return String.fromCodePoint(cp);
      }
      const n = name ?? '';
      if (semi === ';') return NAMED[n] ?? unknown(m);
      // without `;` only legacy names decode (all but these to non-ASCII), and in an attribute
      // not before `=` or an alphanumeric
      const next = html[offset + m.length] ?? '';
      return LEGACY.has(n) && !/[=A-Za-z0-9]/.test(next) ? (NAMED[n] ?? m) : m;
    },
  );
}

/**
 * A URL as the browser's URL parser sees the decoded attribute value: kept when it is http(s) or
 * relative (path, `?query`, `#fragment`), '' otherwise (other schemes, protocol-relative `//host`).
 */
export function sanitizeUrl(url: string): string {
  // the URL parser trims C0 controls and spaces, and drops tabs and newlines anywhere
  let from = 0;
  let to = url.length;
  while (from < to && url.charCodeAt(from) <= 0x20) from++;
  while (to > from && url.charCodeAt(to - 1) <= 0x20) to--;
  const u = url.slice(from, to).replace(/[\t\n\r]/g, '');
  const colon = u.indexOf(':');
  if (colon >= 0 && u.slice(0, colon).includes(UNKNOWN) && !/[/?#]/.test(u.slice(0, colon))) return '';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(u);
  if (scheme) return /^https?$/i.test(scheme[1] ?? '') ? url : '';
  if (/^[/\\]{2}/.test(u)) return '';
  return url;
}

/** Whether a rendered (escaped) URL attribute value may be written as it is. */
export function isSafeUrlValue(html: string, kind: UrlKind = 'url'): boolean {
  const decoded = decode(html, () => UNKNOWN);
  const urls =
    kind === 'url'
      ? [decoded]
      : kind === 'list'
        ? decoded.split(/[\t\n\f\r ]+/)
        : decoded.split(',').map((c) => c.trim().split(/[\t\n\f\r ]+/)[0] ?? '');
  return urls.every((u) => u === '' || sanitizeUrl(u) !== '');
}
