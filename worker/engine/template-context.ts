/**
 * @module template-context
 * Where each `{{ … }}` of a variant's html sits, as a browser would parse it. HTML escaping keeps a
 * value inert in text and in quoted attribute values, but not in an event handler, a style, a
 * `srcdoc`, a script, an unquoted attribute or a tag, and a URL attribute needs its value checked as
 * a URL. This is a small HTML tokenizer (the WHATWG states a template can reach, with the element
 * switches of tree construction that change them: script, style, RCDATA/RAWTEXT elements, SVG/MathML
 * foreign content and its integration points and breakouts) run over the template source, where each
 * placeholder stands for a value HTML-escaped at render time.
 *
 * A slot's content lands in an element of a page we cannot see, perhaps inside an `<svg>`. Each
 * template is therefore read twice, as if inserted into HTML and into SVG, and a placeholder whose
 * context differs in a way that matters is refused too.
 */
import { parseTemplate } from './template.ts';

export type Context =
  /** element text: escaping is enough */
  | 'text'
  /** a quoted value of an ordinary attribute: escaping is enough */
  | 'attr'
  /** a URL attribute (href, src, action...): escaped, and the whole rendered value checked as a URL */
  | 'url-attr'
  /** an attribute whose value runs or loads code: script src, link href, base, object, embed, meta, SVG animation */
  | 'active-attr'
  | 'event-handler'
  | 'style'
  | 'srcdoc'
  | 'script'
  | 'comment'
  /** inside a tag name, an attribute name or between attributes */
  | 'tag'
  /** an unquoted attribute value: a space in the value would start a new attribute */
  | 'unquoted-attr'
  /** textarea, title (RCDATA) and xmp, iframe, noembed, noframes, noscript (RAWTEXT): no markup inside */
  | 'rawtext';

export interface PlaceholderContext {
  /** the dotted attribute path, as written */
  path: string;
  context: Context;
  /** offset of the placeholder's `{{` in the template source */
  at: number;
  /** for a placeholder in an attribute value: the element, the attribute, and the value's span in `scanned` */
  attribute?: { tag: string; name: string; start: number; end: number };
}

/** How a URL attribute's value is read: one URL, a srcset (URLs with descriptors), or space-separated URLs. */
export type UrlKind = 'url' | 'srcset' | 'list';

const UNSAFE = new Set<Context>([
  'active-attr',
  'event-handler',
  'style',
  'srcdoc',
  'script',
  'comment',
  'tag',
  'unquoted-attr',
]);

export function isUnsafeContext(c: Context): boolean {
  return UNSAFE.has(c);
}

const URL_ATTRIBUTES = new Map<string, UrlKind>([
  ['href', 'url'],
  ['src', 'url'],
  ['action', 'url'],
  ['formaction', 'url'],
  ['poster', 'url'],
  ['cite', 'url'],
  ['background', 'url'],
  ['data', 'url'],
  ['xlink:href', 'url'],
  ['manifest', 'url'],
  ['longdesc', 'url'],
  ['lowsrc', 'url'],
  ['dynsrc', 'url'],
  ['usemap', 'url'],
  ['icon', 'url'],
  ['profile', 'url'],
  ['itemtype', 'list'],
  ['xml:base', 'url'],
  ['srcset', 'srcset'],
  ['imagesrcset', 'srcset'],
  ['ping', 'list'],
  ['archive', 'list'],
]);

/** Per element: attributes whose value loads code, changes every relative URL, or navigates. */
const ACTIVE: Record<string, ReadonlySet<string> | 'all'> = {
  script: new Set(['src', 'href', 'xlink:href']),
  link: new Set(['href', 'imagesrcset']),
  base: 'all',
  meta: 'all',
  object: new Set(['data', 'codebase', 'classid', 'archive']),
  embed: new Set(['src', 'code']),
  applet: 'all',
  param: new Set(['value']),
  animate: new Set(['values', 'to', 'from', 'by', 'attributename', 'href', 'xlink:href']),
  set: new Set(['values', 'to', 'from', 'by', 'attributename', 'href', 'xlink:href']),
  animatemotion: new Set(['values', 'to', 'from', 'by', 'attributename', 'href', 'xlink:href']),
  animatetransform: new Set(['values', 'to', 'from', 'by', 'attributename', 'href', 'xlink:href']),
};

/** Attributes that are active on some element: refused for `setAttribute`, whose element is unknown. */
const ACTIVE_ANYWHERE = new Set(['values', 'to', 'from', 'by', 'attributename', 'content', 'http-equiv']);

/**
 * The context of a value written into attribute `name` of element `tag` (lower case). With `tag`
 * undefined (a `setAttribute` slot, whose element the selector picks on a page we cannot see), an
 * attribute that is active on any element counts as active.
 */
export function attributeContext(tag: string | undefined, name: string): Context {
  const n = name.toLowerCase();
  if (n.startsWith('on')) return 'event-handler';
  if (n === 'style') return 'style';
  if (n === 'srcdoc') return 'srcdoc';
  if (tag === undefined) {
    if (ACTIVE_ANYWHERE.has(n)) return 'active-attr';
  } else {
    const active = ACTIVE[tag];
    if (active === 'all' || active?.has(n)) return 'active-attr';
  }
  return URL_ATTRIBUTES.has(n) ? 'url-attr' : 'attr';
}

export function urlKind(name: string): UrlKind {
  return URL_ATTRIBUTES.get(name.toLowerCase()) ?? 'url';
}

/** Elements whose inner content is not markup: a slot that writes inside one must not insert values. */
export const RAW_CONTENT_ELEMENTS: ReadonlySet<string> = new Set([
  'script',
  'style',
  'textarea',
  'title',
  'xmp',
  'iframe',
  'noembed',
  'noframes',
  'noscript',
  'plaintext',
]);

const RCDATA = new Set(['textarea', 'title']);
const RAWTEXT = new Set(['xmp', 'iframe', 'noembed', 'noframes', 'noscript']);
const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
// HTML start tags that end foreign content (tree construction, "in foreign content").
const BREAKOUT = new Set(
  (
    'b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li ' +
    'listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var'
  ).split(' '),
);
const SVG_HTML_POINTS = new Set(['foreignobject', 'desc', 'title']);
const MATH_TEXT_POINTS = new Set(['mi', 'mo', 'mn', 'ms', 'mtext']);

interface Open {
  name: string;
  ns: 'html' | 'svg' | 'math';
  /** children of this element are parsed as HTML */
  htmlInside: boolean;
}

/** Stands for a placeholder in the scanned text; never a letter, quote, space or `<`. */
export const HOLE = '\uFFFF';

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export interface Scan {
  /** the template with each placeholder replaced by HOLE (and any HOLE of the source by U+FFFD) */
  scanned: string;
  placeholders: PlaceholderContext[];
}

/**
 * Tokenizes a template. `within` is the content model the slot sits in. The placeholder syntax is
 * parseTemplate's; names are not checked here.
 */
export function scanTemplate(src: string, within: 'html' | 'svg' = 'html'): Scan {
  const paths: { path: string; at: number }[] = [];
  let scanned = '';
  let last = 0;
  for (const m of src.matchAll(PLACEHOLDER)) {
    scanned += src.slice(last, m.index).replaceAll(HOLE, '\uFFFD') + HOLE;
    paths.push({ path: m[1] ?? '', at: m.index });
    last = m.index + m[0].length;
  }
  scanned += src.slice(last).replaceAll(HOLE, '\uFFFD');
  return { scanned, placeholders: tokenize(scanned, paths, within) };
}

const isWs = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

type State =
  | 'data'
  | 'rcdata'
  | 'rawtext'
  | 'script'
  | 'scriptEscaped'
  | 'scriptDoubleEscaped'
  | 'plaintext'
  | 'tagOpen'
  | 'endTagOpen'
  | 'tagName'
  | 'beforeAttrName'
  | 'attrName'
  | 'afterAttrName'
  | 'beforeAttrValue'
  | 'attrValueDq'
  | 'attrValueSq'
  | 'attrValueUnq'
  | 'afterAttrValue'
  | 'selfClosing'
  | 'comment'
  | 'bogusComment';

function tokenize(
  s: string,
  paths: { path: string; at: number }[],
  within: 'html' | 'svg',
): PlaceholderContext[] {
  const out: PlaceholderContext[] = [];
  const stack: Open[] = within === 'svg' ? [{ name: 'svg', ns: 'svg', htmlInside: false }] : [];
  // assigned in the helpers below too, so not narrowed by the switch
  let state = 'data' as State;
  /** the element whose content is raw (script, style, RCDATA, RAWTEXT) */
  let rawName = '';
  let rawContext: Context = 'text';
  let tag = '';
  let isEnd = false;
  let attrs = new Map<string, string>();
  let attr = '';
  let valueStart = 0;
  let pending: PlaceholderContext[] = [];
  let hole = 0;

  const record = (context: Context): void => {
    const p = paths[hole++];
    if (!p) return;
    const entry: PlaceholderContext = { path: p.path, context, at: p.at };
    out.push(entry);
    if (state === 'attrValueDq' || state === 'attrValueSq' || state === 'attrValueUnq') pending.push(entry);
  };
  const foreignText = (): Context => {
    for (const e of stack) {
      if (e.ns === 'html') continue;
      if (e.name === 'script') return 'script';
      if (e.name === 'style') return 'style';
    }
    return 'text';
  };
  const endValue = (end: number): void => {
    const context = attributeContext(tag, attr);
    for (const p of pending) {
      p.context = state === 'attrValueUnq' ? 'unquoted-attr' : context;
      p.attribute = { tag, name: attr, start: valueStart, end };
    }
    pending = [];
  };
  const startsWithAt = (i: number, word: string): boolean =>
    s.slice(i, i + word.length).toLowerCase() === word;
  /** `</name` followed by a tag-ending character, at i */
  const endTagAt = (i: number, name: string): boolean => {
    if (s[i] !== '<' || s[i + 1] !== '/' || !startsWithAt(i + 2, name)) return false;
    const c = s[i + 2 + name.length];
    return c === undefined || isWs(c) || c === '/' || c === '>';
  };
  const enterRaw = (name: string, st: State, context: Context): void => {
    rawName = name;
    rawContext = context;
    state = st;
  };

  const emitStartTag = (selfClosing: boolean): void => {
    state = 'data';
    const top = stack[stack.length - 1];
    if (top !== undefined && top.ns !== 'html' && !top.htmlInside) {
      const font = tag === 'font' && (attrs.has('color') || attrs.has('face') || attrs.has('size'));
      if (BREAKOUT.has(tag) || font) {
        while (stack.length) {
          const t = stack[stack.length - 1];
          if (!t || t.ns === 'html' || t.htmlInside) break;
          stack.pop();
        }
      } else {
        const ns = tag === 'svg' ? 'svg' : tag === 'math' ? 'math' : top.ns;
        if (!selfClosing) stack.push({ name: tag, ns, htmlInside: htmlInside(ns, tag, attrs) });
        return;
      }
    }
    if (tag === 'svg' || tag === 'math') {
      if (!selfClosing) stack.push({ name: tag, ns: tag, htmlInside: false });
    } else if (tag === 'script') enterRaw(tag, 'script', 'script');
    else if (tag === 'style') enterRaw(tag, 'rawtext', 'style');
    else if (RCDATA.has(tag)) enterRaw(tag, 'rcdata', 'rawtext');
    else if (RAWTEXT.has(tag)) enterRaw(tag, 'rawtext', 'rawtext');
    else if (tag === 'plaintext') state = 'plaintext';
    else if (stack.length && !VOID.has(tag)) stack.push({ name: tag, ns: 'html', htmlInside: true });
  };
  const emitEndTag = (): void => {
    state = 'data';
    rawName = '';
    for (let k = stack.length - 1; k >= 0; k--) {
      if (stack[k]?.name === tag) {
        stack.length = k;
        return;
      }
    }
  };
  const emitTag = (selfClosing: boolean): void => {
    if (isEnd) emitEndTag();
    else emitStartTag(selfClosing);
  };

  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    switch (state) {
      case 'data':
        if (c === '<') state = 'tagOpen';
        else if (c === HOLE) record(stack.length ? foreignText() : 'text');
        break;
      case 'plaintext':
        if (c === HOLE) record('rawtext');
        break;
      case 'rcdata':
      case 'rawtext':
        if (endTagAt(i, rawName)) {
          state = 'endTagOpen';
          i++;
        } else if (c === HOLE) record(rawContext);
        break;
      case 'script':
        if (c === HOLE) record('script');
        else if (endTagAt(i, 'script')) {
          state = 'endTagOpen';
          i++;
        } else if (startsWithAt(i, '<!--')) {
          state = 'scriptEscaped';
          i += 3;
        }
        break;
      case 'scriptEscaped':
        if (c === HOLE) record('script');
        else if (startsWithAt(i, '-->')) {
          state = 'script';
          i += 2;
        } else if (endTagAt(i, 'script')) {
          state = 'endTagOpen';
          i++;
        } else if (c === '<' && startsWithAt(i + 1, 'script') && /^[\s/>]/.test(s[i + 7] ?? '')) {
          state = 'scriptDoubleEscaped';
          i += 6;
        }
        break;
      case 'scriptDoubleEscaped':
        if (c === HOLE) record('script');
        else if (startsWithAt(i, '-->')) {
          state = 'script';
          i += 2;
        } else if (endTagAt(i, 'script')) {
          state = 'scriptEscaped';
          i += 7;
        }
        break;
      case 'tagOpen':
        if (c === '!') {
          if (startsWithAt(i + 1, '--')) {
            state = 'comment';
            i += 2;
            // `<!-->` and `<!--->` close at once
            if (s[i + 1] === '>') {
              i += 1;
              state = 'data';
            } else if (s[i + 1] === '-' && s[i + 2] === '>') {
              i += 2;
              state = 'data';
            }
          } else state = 'bogusComment';
        } else if (c === '/') state = 'endTagOpen';
        else if (isAlpha(c) || c === HOLE) {
          isEnd = false;
          startTag();
          i--;
        } else if (c === '?') state = 'bogusComment';
        else {
          state = 'data';
          i--;
        }
        break;
      case 'endTagOpen':
        if (isAlpha(c) || c === HOLE) {
          isEnd = true;
          startTag();
          i--;
        } else if (c === '>') state = 'data';
        else {
          state = 'bogusComment';
          i--;
        }
        break;
      case 'tagName':
        if (isWs(c)) state = 'beforeAttrName';
        else if (c === '/') state = 'selfClosing';
        else if (c === '>') emitTag(false);
        else if (c === HOLE) record('tag');
        else tag += c.toLowerCase();
        break;
      case 'beforeAttrName':
        if (isWs(c)) break;
        if (c === '/' || c === '>') {
          state = 'afterAttrName';
          i--;
        } else {
          attr = '';
          state = 'attrName';
          if (c === '=') attr = '=';
          else i--;
        }
        break;
      case 'attrName':
        if (isWs(c) || c === '/' || c === '>') {
          attrs.set(attr, '');
          state = 'afterAttrName';
          i--;
        } else if (c === '=') {
          attrs.set(attr, '');
          state = 'beforeAttrValue';
        } else if (c === HOLE) record('tag');
        else attr += c.toLowerCase();
        break;
      case 'afterAttrName':
        if (isWs(c)) break;
        if (c === '/') state = 'selfClosing';
        else if (c === '=') state = 'beforeAttrValue';
        else if (c === '>') emitTag(false);
        else {
          attr = '';
          state = 'attrName';
          i--;
        }
        break;
      case 'beforeAttrValue':
        if (isWs(c)) break;
        if (c === '"') {
          state = 'attrValueDq';
          valueStart = i + 1;
        } else if (c === "'") {
          state = 'attrValueSq';
          valueStart = i + 1;
        } else if (c === '>') emitTag(false);
        else {
          state = 'attrValueUnq';
          valueStart = i;
          i--;
        }
        break;
      case 'attrValueDq':
      case 'attrValueSq':
        if (c === (state === 'attrValueDq' ? '"' : "'")) {
          setValue(i);
          endValue(i);
          state = 'afterAttrValue';
        } else if (c === HOLE) record('attr');
        break;
      case 'attrValueUnq':
        if (isWs(c) || c === '>') {
          setValue(i);
          endValue(i);
          state = 'beforeAttrName';
          if (c === '>') emitTag(false);
        } else if (c === HOLE) record('unquoted-attr');
        break;
      case 'afterAttrValue':
        if (isWs(c)) state = 'beforeAttrName';
        else if (c === '/') state = 'selfClosing';
        else if (c === '>') emitTag(false);
        else {
          state = 'beforeAttrName';
          i--;
        }
        break;
      case 'selfClosing':
        if (c === '>') emitTag(true);
        else {
          state = 'beforeAttrName';
          i--;
        }
        break;
      case 'comment':
        if (c === HOLE) record('comment');
        else if (startsWithAt(i, '-->')) {
          state = 'data';
          i += 2;
        } else if (startsWithAt(i, '--!>')) {
          state = 'data';
          i += 3;
        }
        break;
      case 'bogusComment':
        if (c === HOLE) record('comment');
        else if (c === '>') state = 'data';
        break;
    }
  }
  // a template that ends inside an attribute value leaves its placeholders where they were
  if (pending.length) endValue(s.length);
  return out;

  function startTag(): void {
    state = 'tagName';
    tag = '';
    attrs = new Map();
  }
  function setValue(end: number): void {
    attrs.set(attr, s.slice(valueStart, end));
  }
}

function htmlInside(ns: 'html' | 'svg' | 'math', tag: string, attrs: Map<string, string>): boolean {
  if (ns === 'svg') return SVG_HTML_POINTS.has(tag);
  if (ns === 'math') {
    if (MATH_TEXT_POINTS.has(tag)) return true;
    const enc = (attrs.get('encoding') ?? '').toLowerCase();
    return tag === 'annotation-xml' && (enc === 'text/html' || enc === 'application/xhtml+xml');
  }
  return true;
}

/** The context of each placeholder of a variant's html, in order. */
export function templateContexts(
  src: string,
  within: 'html' | 'svg' = 'html',
): { path: string; context: Context; at: number }[] {
  return scanTemplate(src, within).placeholders.map(({ path, context, at }) => ({ path, context, at }));
}

const DESCRIBE: Record<Context, string> = {
  text: 'text',
  attr: 'an attribute',
  'url-attr': 'a URL attribute',
  'active-attr': 'an attribute that loads code or navigates',
  'event-handler': 'an event handler attribute',
  style: 'a style',
  srcdoc: 'a srcdoc attribute',
  script: 'a script',
  comment: 'a comment',
  tag: 'a tag or attribute name',
  'unquoted-attr': 'an unquoted attribute value (quote it)',
  rawtext: 'raw text',
};

/**
 * Why a variant's html template is unsafe, one problem per placeholder, each starting with `where`
 * (the document path of the template). Empty when it is safe to render with `renderSafe`.
 */
export function unsafeTemplateProblems(src: string, where: string): string[] {
  const parsed = parseTemplate(src);
  if (!parsed.ok) return [`${where}: ${parsed.error}`];
  const asHtml = scanTemplate(src, 'html').placeholders;
  const asSvg = scanTemplate(src, 'svg').placeholders;
  const problems: string[] = [];
  asHtml.forEach((p, i) => {
    const q = asSvg[i] ?? p;
    const unsafe = isUnsafeContext(p.context)
      ? p.context
      : isUnsafeContext(q.context)
        ? q.context
        : undefined;
    const name = `"{{ ${p.path} }}" (at ${p.at})`;
    if (unsafe) problems.push(`${where}: ${name} is inside ${DESCRIBE[unsafe]}, where escaping is not safe`);
    else if ((p.context === 'url-attr') !== (q.context === 'url-attr'))
      problems.push(`${where}: ${name} is a URL or not depending on whether the slot is inside an <svg>`);
  });
  return problems;
}

/**
 * For a `setAttribute` slot: the value template is refused when it has placeholders and the
 * attribute runs code (on*, style, srcdoc, or active on some element).
 */
export function attributeTemplateProblems(name: string, src: string, where: string): string[] {
  const parsed = parseTemplate(src);
  if (!parsed.ok) return [`${where}: ${parsed.error}`];
  const context = attributeContext(undefined, name);
  if (!isUnsafeContext(context)) return [];
  return parsed.template
    .filter((part) => typeof part !== 'string')
    .map(
      (part) =>
        `${where}: "{{ ${part.path.join('.')} }}" is written into "${name}", ${DESCRIBE[context]}, where escaping is not safe`,
    );
}
