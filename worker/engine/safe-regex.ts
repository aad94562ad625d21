/**
 * @module safe-regex
 * Refuses regular expressions that can backtrack catastrophically, checked when a document is saved
 * (`$regex` conditions, `settings.categoryRules`). A `$regex` runs on every page of the site against
 * values the visitor sends (path, referrer, utm_*), so one pattern such as `(a+)+$` lets any visitor
 * spend the CPU limit of every request.
 *
 * The pattern is parsed (JS syntax: groups, lookarounds, classes, escapes, quantifiers) and refused
 * when it has
 * - a repetition inside a repetition whose inner part can match different lengths (`(a+)+`, `(a*)*`,
 *   `(\w+\s?)*`, `(a{1,3})+`, `(ab?)+`), or a repeated alternation whose alternatives can start with
 *   the same character (`(a|a)*`, `(a|ab)+`, `(\w|\d)+`): exponential;
 * - a chain of unbounded repetitions that can match the same text one after the other (`a.*b.*c`,
 *   `\d+\d+`), which with the search loop of an unanchored pattern makes cubic time; one such
 *   repetition (`foo.*bar`, `\s*$`) is quadratic and accepted, because `$regex` matches only the
 *   first MAX_REGEX_SUBJECT characters of a value (see regexSubject);
 * - a backreference (no bound on its cost), an unbounded repetition inside a lookahead or lookbehind
 *   (re-run at every position), a count of 1000 or more, or more than 256 characters.
 * It is conservative: some refused patterns are harmless (`^(/[a-z]+)+$`); each refusal says how to
 * write it instead. No pattern it accepts has exponential or worse than quadratic backtracking.
 */

export const MAX_PATTERN_LENGTH = 256;
export const MAX_COUNT = 999;
/** A `$regex` or category rule tests at most this many characters of a value. */
export const MAX_REGEX_SUBJECT = 2048;
/** Repetitions whose length can vary by this much or more count as unbounded in the chain check. */
const LONG = 8;

/** The part of a value a checked regex may run on: quadratic patterns stay within a few ms. */
export function regexSubject(s: string): string {
  return s.length > MAX_REGEX_SUBJECT ? s.slice(0, MAX_REGEX_SUBJECT) : s;
}

type Ranges = readonly (readonly [number, number])[];

type Node =
  | { t: 'alt'; alts: Node[][] }
  | { t: 'group'; look: boolean; body: Node }
  | { t: 'quant'; min: number; max: number; body: Node }
  | { t: 'set'; set: Ranges }
  | { t: 'assert'; start: boolean }
  | { t: 'backref' };

const MAX_CP = 0x10ffff;
const ALL: Ranges = [[0, MAX_CP]];
const DIGIT: Ranges = [[48, 57]];
const WORD: Ranges = [
  [48, 57],
  [65, 90],
  [95, 95],
  [97, 122],
];
const SPACE: Ranges = normalize([
  [9, 13],
  [32, 32],
  [160, 160],
  [5760, 5760],
  [8192, 8202],
  [8232, 8233],
  [8239, 8239],
  [8287, 8287],
  [12288, 12288],
  [65279, 65279],
]);
const LINE_TERMINATORS: Ranges = normalize([
  [10, 10],
  [13, 13],
  [8232, 8233],
]);

function normalize(rs: Ranges): Ranges {
  const sorted = [...rs].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(rs: Ranges): Ranges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of normalize(rs)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

function intersect(a: Ranges, b: Ranges): Ranges {
  const out: [number, number][] = [];
  for (const [alo, ahi] of a)
    for (const [blo, bhi] of b) {
      const lo = Math.max(alo, blo);
      const hi = Math.min(ahi, bhi);
      if (lo <= hi) out.push([lo, hi]);
    }
  return normalize(out);
}

/** Adds the other case of ASCII letters (what `i` matches; other scripts are not folded here). */
function fold(rs: Ranges): Ranges {
  const extra: [number, number][] = [];
  for (const [lo, hi] of intersect(rs, [[65, 90]])) extra.push([lo + 32, hi + 32]);
  for (const [lo, hi] of intersect(rs, [[97, 122]])) extra.push([lo - 32, hi - 32]);
  return normalize([...rs, ...extra]);
}

class ParseError extends Error {}

/** Capturing groups in a pattern: `(` not in a class, not escaped, not `(?:`-like (named ones count). */
function countGroups(src: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' && (src[i + 1] !== '?' || (src[i + 2] === '<' && !/[=!]/.test(src[i + 3] ?? '')))) n++;
  }
  return n;
}

class Parser {
  i = 0;
  readonly unicode: boolean;
  readonly sets: boolean;
  readonly named: boolean;
  constructor(
    readonly src: string,
    readonly flags: string,
  ) {
    this.unicode = flags.includes('u') || flags.includes('v');
    this.sets = flags.includes('v');
    this.named = /\(\?<[^=!]/.test(src);
    this.groups = countGroups(src);
  }
  readonly groups: number;
  peek(k = 0): string {
    return this.src[this.i + k] ?? '';
  }
  fail(why: string): never {
    throw new ParseError(`${why} at ${this.i}`);
  }
  set(rs: Ranges): Node {
    return { t: 'set', set: this.flags.includes('i') ? fold(rs) : rs };
  }

  alternation(): Node {
    const alts: Node[][] = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return { t: 'alt', alts };
  }

  sequence(): Node[] {
    const seq: Node[] = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom();
      seq.push(this.quantifier(atom));
    }
    return seq;
  }

  quantifier(atom: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (c === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom; // a literal `{` outside unicode mode
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] ? Number(m[3]) : Number.POSITIVE_INFINITY;
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.peek() === '?') this.i++;
    if (atom.t === 'assert' || (atom.t === 'group' && atom.look && !this.unicode)) return atom;
    return { t: 'quant', min, max, body: atom };
  }

  atom(): Node {
    const c = this.peek();
    this.i++;
    switch (c) {
      case '^':
        return { t: 'assert', start: !this.flags.includes('m') };
      case '$':
        return { t: 'assert', start: false };
      case '.':
        return this.set(this.flags.includes('s') ? ALL : complement(LINE_TERMINATORS));
      case '(':
        return this.group();
      case '[':
        return this.set(this.charClass());
      case '\\':
        return this.escape(false);
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat');
      default:
        return this.set(this.char(c));
    }
  }

  char(c: string): Ranges {
    const cp = c.codePointAt(0) ?? 0;
    if (cp > 0xffff) this.i++;
    return [[cp, cp]];
  }

  group(): Node {
    let look = false;
    if (this.peek() === '?') {
      const rest = this.src.slice(this.i);
      const m = /^\?(:|=|!|<=|<!|<[A-Za-z_$][\w$]*>|[ims]*-?[ims]*:)/.exec(rest);
      if (!m) this.fail('unknown group');
      look = m[1] === '=' || m[1] === '!' || m[1] === '<=' || m[1] === '<!';
      this.i += m[0].length;
    }
    const body = this.alternation();
    if (this.peek() !== ')') this.fail('unclosed group');
    this.i++;
    return { t: 'group', look, body };
  }

  /** An escape; `inClass` reads `\b` as backspace and `\-` as a dash. */
  escape(inClass: boolean): Node {
    const c = this.peek();
    this.i++;
    if (c === '') this.fail('\\ at end of pattern');
    switch (c) {
      case 'd':
        return this.set(DIGIT);
      case 'D':
        return this.set(complement(DIGIT));
      case 'w':
        return this.set(WORD);
      case 'W':
        return this.set(complement(WORD));
      case 's':
        return this.set(SPACE);
      case 'S':
        return this.set(complement(SPACE));
      case 'b':
        return inClass ? this.set([[8, 8]]) : { t: 'assert', start: false };
      case 'B':
        return { t: 'assert', start: false };
      case 'f':
        return this.set([[12, 12]]);
      case 'n':
        return this.set([[10, 10]]);
      case 'r':
        return this.set([[13, 13]]);
      case 't':
        return this.set([[9, 9]]);
      case 'v':
        return this.set([[11, 11]]);
      case '0':
        if (!/[0-9]/.test(this.peek())) return this.set([[0, 0]]);
        return this.octal(c);
      case 'c': {
        const l = this.peek();
        if (/[A-Za-z]/.test(l)) {
          this.i++;
          const cp = (l.codePointAt(0) ?? 0) % 32;
          return this.set([[cp, cp]]);
        }
        return this.set([[92, 92]]);
      }
      case 'x': {
        const m = /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.i));
        if (!m) return this.set([[120, 120]]);
        this.i += 2;
        const cp = Number.parseInt(m[0], 16);
        return this.set([[cp, cp]]);
      }
      case 'u': {
        const rest = this.src.slice(this.i);
        const m = (this.unicode ? /^\{([0-9A-Fa-f]+)\}/.exec(rest) : null) ?? /^([0-9A-Fa-f]{4})/.exec(rest);
        if (!m) return this.set([[117, 117]]);
        this.i += m[0].length;
        const cp = Number.parseInt(m[1] ?? '0', 16);
        return this.set([[cp, cp]]);
      }
      case 'p':
      case 'P':
        if (!this.unicode) return this.set(this.char(c));
        if (!/^\{[^}]*\}/.test(this.src.slice(this.i))) this.fail('bad property escape');
        this.i = this.src.indexOf('}', this.i) + 1;
        return this.set(ALL);
      case 'k':
        if (this.unicode || this.named) return { t: 'backref' };
        return this.set(this.char(c));
      default:
        if (/[1-9]/.test(c)) {
          const n = Number(c + (/^\d*/.exec(this.src.slice(this.i))?.[0] ?? ''));
          if (!inClass && (this.unicode || n <= this.groups)) return { t: 'backref' };
          // outside unicode mode, \N with fewer than N groups is a legacy octal escape
          return /[0-7]/.test(c) ? this.octal(c) : this.set(this.char(c));
        }
        return this.set(this.char(c));
    }
  }

  octal(first: string): Node {
    let digits = first;
    while (digits.length < 3 && /[0-7]/.test(this.peek())) digits += this.src[this.i++];
    const cp = Number.parseInt(digits, 8);
    return Number.isNaN(cp) ? this.set(this.char(first)) : this.set([[cp, cp]]);
  }

  charClass(): Ranges {
    if (this.sets) return this.unicodeSetsClass();
    const negate = this.peek() === '^';
    if (negate) this.i++;
    const items: Ranges[] = [];
    while (this.peek() !== ']') {
      if (this.i >= this.src.length) this.fail('unclosed character class');
      const item = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        const save = this.i;
        this.i++;
        const to = this.classAtom();
        const lo = item.length === 1 && item[0] && item[0][0] === item[0][1] ? item[0][0] : undefined;
        const hi = to.length === 1 && to[0] && to[0][0] === to[0][1] ? to[0][0] : undefined;
        if (lo !== undefined && hi !== undefined && lo <= hi) {
          items.push([[lo, hi]]);
          continue;
        }
        // a class escape at either end: the dash is a literal (Annex B)
        this.i = save + 1;
        items.push(item, [[45, 45]]);
        continue;
      }
      items.push(item);
    }
    this.i++;
    const set = normalize(items.flat());
    return negate ? complement(set) : set;
  }

  classAtom(): Ranges {
    const c = this.peek();
    this.i++;
    if (c !== '\\') return this.char(c);
    const e = this.escape(true);
    return e.t === 'set' ? e.set : [[92, 92]];
  }

  /** `v`-mode classes nest and take set operations: read to the matching `]`, count as any character. */
  unicodeSetsClass(): Ranges {
    let depth = 1;
    while (depth > 0) {
      const c = this.peek();
      if (c === '') this.fail('unclosed character class');
      this.i++;
      if (c === '\\') this.i++;
      else if (c === '[') depth++;
      else if (c === ']') depth--;
    }
    return ALL;
  }
}

// Analysis.

function width(n: Node): { min: number; max: number } {
  switch (n.t) {
    case 'set':
      return { min: 1, max: 1 };
    case 'assert':
    case 'backref':
      return { min: 0, max: n.t === 'backref' ? Number.POSITIVE_INFINITY : 0 };
    case 'group':
      return n.look ? { min: 0, max: 0 } : width(n.body);
    case 'quant': {
      const w = width(n.body);
      return { min: w.min * n.min, max: w.max === 0 ? 0 : w.max * n.max };
    }
    case 'alt': {
      let min = Number.POSITIVE_INFINITY;
      let max = 0;
      for (const seq of n.alts) {
        const ws = seq.map(width);
        min = Math.min(
          min,
          ws.reduce((a, w) => a + w.min, 0),
        );
        max = Math.max(
          max,
          ws.reduce((a, w) => a + w.max, 0),
        );
      }
      return { min: Number.isFinite(min) ? min : 0, max };
    }
  }
}

/** Characters a match of `n` can start with, and whether it can match the empty string. */
function first(n: Node): { set: Ranges; empty: boolean } {
  switch (n.t) {
    case 'set':
      return { set: n.set, empty: false };
    case 'assert':
    case 'backref':
      return { set: n.t === 'backref' ? ALL : [], empty: true };
    case 'group':
      return n.look ? { set: [], empty: true } : first(n.body);
    case 'quant': {
      const f = first(n.body);
      return { set: f.set, empty: f.empty || n.min === 0 };
    }
    case 'alt': {
      const sets: Ranges[] = [];
      let empty = false;
      for (const seq of n.alts) {
        const f = firstOfSequence(seq);
        sets.push(f.set);
        empty ||= f.empty;
      }
      return { set: normalize(sets.flat()), empty };
    }
  }
}

function firstOfSequence(seq: readonly Node[]): { set: Ranges; empty: boolean } {
  const sets: Ranges[] = [];
  for (const n of seq) {
    const f = first(n);
    sets.push(f.set);
    if (!f.empty) return { set: normalize(sets.flat()), empty: false };
  }
  return { set: normalize(sets.flat()), empty: true };
}

/** Every character `n` can match anywhere. */
function chars(n: Node): Ranges {
  switch (n.t) {
    case 'set':
      return n.set;
    case 'assert':
      return [];
    case 'backref':
      return ALL;
    case 'group':
      return n.look ? [] : chars(n.body);
    case 'quant':
      return chars(n.body);
    case 'alt':
      return normalize(n.alts.flat().flatMap(chars));
  }
}

function* walk(n: Node): Generator<Node> {
  yield n;
  if (n.t === 'group' || n.t === 'quant') yield* walk(n.body);
  else if (n.t === 'alt') for (const seq of n.alts) for (const m of seq) yield* walk(m);
}

const isLong = (q: { min: number; max: number }): boolean => q.max - q.min >= LONG;

/** The first reason a repetition can backtrack exponentially, or null. */
function nestedProblem(root: Node): string | null {
  for (const n of walk(root)) {
    if (n.t !== 'quant' || n.max <= 1 || width(n.body).max === 0) continue;
    for (const inner of walk(n.body)) {
      if (inner.t === 'quant' && inner.min !== inner.max && width(inner.body).max > 0)
        return 'a repetition inside a repetition (like (a+)+ or (\\w+\\s?)*) can backtrack exponentially; repeat one character class instead, e.g. [\\w\\s]*';
      if (inner.t === 'alt' && inner.alts.length > 1) {
        const firsts = inner.alts.map(firstOfSequence);
        if (firsts.some((f) => f.empty) || overlapping(firsts.map((f) => f.set)))
          return 'a repeated group whose alternatives can start with the same character or match nothing (like (a|ab)+ or (a|)+) can backtrack exponentially; make the alternatives start differently, or use a character class';
      }
    }
  }
  return null;
}

function overlapping(sets: Ranges[]): boolean {
  for (let i = 0; i < sets.length; i++)
    for (let j = i + 1; j < sets.length; j++) {
      const a = sets[i];
      const b = sets[j];
      if (a && b && intersect(a, b).length) return true;
    }
  return false;
}

interface Atom {
  set: Ranges;
  optional: boolean;
  long: boolean;
}

const MAX_PATHS = 256;

/** The ways through `n` as sequences of atoms (groups inlined, alternatives and optional parts expanded). */
function paths(n: Node): Atom[][] | null {
  switch (n.t) {
    case 'set':
      return [[{ set: n.set, optional: false, long: false }]];
    case 'assert':
    case 'backref':
      return [[]];
    case 'group':
      return n.look ? [[]] : paths(n.body);
    case 'quant': {
      if (isLong(n)) return [[{ set: chars(n.body), optional: n.min === 0, long: true }]];
      if (n.max <= 1) {
        const inner = paths(n.body);
        return inner && (n.min === 0 ? [...inner, []] : inner);
      }
      return [[{ set: chars(n.body), optional: n.min === 0, long: false }]];
    }
    case 'alt': {
      const out: Atom[][] = [];
      for (const seq of n.alts) {
        let acc: Atom[][] = [[]];
        for (const m of seq) {
          const ps = paths(m);
          if (!ps || acc.length * ps.length > MAX_PATHS) return null;
          acc = acc.flatMap((a) => ps.map((p) => [...a, ...p]));
        }
        out.push(...acc);
        if (out.length > MAX_PATHS) return null;
      }
      return out;
    }
  }
}

/** The longest chain of unbounded repetitions on one path that can each take part of the same text. */
function longestChain(path: readonly Atom[]): number {
  const chain = path.map(() => 0);
  let best = 0;
  path.forEach((b, j) => {
    if (!b.long) return;
    let c = 1;
    for (let i = 0; i < j; i++) {
      const a = path[i];
      const ci = chain[i] ?? 0;
      if (!a?.long || ci + 1 <= c) continue;
      const shared = intersect(a.set, b.set);
      if (!shared.length) continue;
      const between = path.slice(i + 1, j);
      if (between.every((x) => x.optional || intersect(x.set, shared).length)) c = ci + 1;
    }
    chain[j] = c;
    best = Math.max(best, c);
  });
  return best;
}

function anchored(root: Node): boolean {
  if (root.t !== 'alt') return false;
  return root.alts.every((seq) => {
    const head = seq[0];
    return head?.t === 'assert' && head.start;
  });
}

/**
 * Why `pattern` (with `flags`, '' or 'i' for `$regex`/`$regexi`) may not be used, or null when it
 * is accepted: an invalid pattern gets the RegExp error, a dangerous one the reason and a rewrite.
 */
export function regexProblem(pattern: string, flags = ''): string | null {
  try {
    new RegExp(pattern, flags);
  } catch (error) {
    return `not a valid regular expression (${error instanceof Error ? error.message : String(error)})`;
  }
  if (pattern.length > MAX_PATTERN_LENGTH)
    return `longer than ${MAX_PATTERN_LENGTH} characters (${pattern.length})`;
  let root: Node;
  try {
    const p = new Parser(pattern, flags);
    root = p.alternation();
    if (p.i < pattern.length) p.fail('unmatched )');
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return `uses syntax this check does not read (${error.message}); write it more simply`;
  }
  for (const n of walk(root)) {
    if (n.t === 'backref')
      return 'a backreference (\\1, \\k<name>) can backtrack without bound; it is not supported';
    if (n.t === 'quant' && Number.isFinite(n.max) && n.max > MAX_COUNT)
      return `a count above ${MAX_COUNT} ({${n.min},${n.max}})`;
    if (n.t === 'quant' && n.min > MAX_COUNT) return `a count above ${MAX_COUNT} ({${n.min},})`;
    if (n.t === 'group' && n.look && [...walk(n.body)].some((m) => m.t === 'quant' && isLong(m)))
      return 'an unbounded repetition inside a lookahead or lookbehind runs again at every position; use $not with a second $regex instead';
  }
  const nested = nestedProblem(root);
  if (nested) return nested;
  const ways = paths(root);
  if (!ways)
    return `more than ${MAX_PATHS} ways through its alternatives and optional parts; split it into several conditions`;
  const chain = Math.max(0, ...ways.map(longestChain));
  if (chain + (anchored(root) ? 0 : 1) > 2)
    return 'unbounded repetitions that can match the same text one after another (like a.*b.*c or \\d+\\d+) backtrack with the cube of the input; use a negated class such as [^/]* or [^&]* for the parts between';
  return null;
}
