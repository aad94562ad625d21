/**
 * @module template
 * Variant content templates. `{{ name }}` inserts a visitor attribute, HTML-escaped; dotted names
 * reach into objects (`{{ interests.shoes }}`). Nothing else is evaluated: a template is parsed once
 * into literal parts and attribute paths when the document is loaded.
 */

export type Template = readonly (string | { path: readonly string[] })[];

const TAG = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

export function parseTemplate(src: string): { ok: true; template: Template } | { ok: false; error: string } {
  const parts: (string | { path: string[] })[] = [];
  let last = 0;
  for (const m of src.matchAll(TAG)) {
    const name = m[1] ?? '';
    if (!PATH.test(name)) return { ok: false, error: `"{{ ${name} }}" is not an attribute name` };
    if (m.index > last) parts.push(src.slice(last, m.index));
    parts.push({ path: name.split('.') });
    last = m.index + m[0].length;
  }
  if (last < src.length) parts.push(src.slice(last));
  return { ok: true, template: parts };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** The value at a dotted path (already split) of the attributes, or undefined. */
export function lookup(attrs: Record<string, unknown>, path: readonly string[]): unknown {
  let cur: unknown = attrs;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(x: unknown): string {
  if (x === undefined || x === null) return '';
  if (Array.isArray(x)) return x.map(show).join(', ');
  if (typeof x === 'object') return '';
  return String(x);
}

export function renderTemplate(t: Template, attrs: Record<string, unknown>): string {
  let out = '';
  for (const part of t) out += typeof part === 'string' ? part : escapeHtml(show(lookup(attrs, part.path)));
  return out;
}
