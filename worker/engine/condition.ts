/**
 * @module condition
 * The targeting language of campaigns and segments: GrowthBook's MongoDB-style conditions, with
 * GrowthBook's semantics (spec 0.8.0, `mongrule.ts`), so a condition written for GrowthBook means the
 * same thing here. `evalCondition` runs on every page request for every campaign, so it interprets the
 * document as stored, allocates next to nothing and caches what is costly to rebuild (compiled regexes,
 * split paths); `validateCondition` runs once, when a campaign document is uploaded, and says what is
 * wrong in words a person can act on.
 *
 * Where GrowthBook's behaviour on malformed input is an accident of JavaScript (a `$or` that is not an
 * array, a `$not` of `null`), this module fails closed instead: such a condition never matches.
 */

import { regexProblem, regexSubject } from './safe-regex.ts';

export type Attributes = Record<string, unknown>;
export type Condition = Record<string, unknown>;
export type SavedGroups = Record<string, unknown[]>;

const VALUE_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$lt',
  '$lte',
  '$gt',
  '$gte',
  '$veq',
  '$vne',
  '$vgt',
  '$vgte',
  '$vlt',
  '$vlte',
  '$exists',
  '$in',
  '$nin',
  '$ini',
  '$nini',
  '$all',
  '$alli',
  '$inGroup',
  '$notInGroup',
  '$regex',
  '$regexi',
  '$type',
  '$size',
  '$elemMatch',
  '$not',
]);

const TYPE_NAMES = new Set(['string', 'number', 'boolean', 'object', 'array', 'null', 'undefined']);

const NO_GROUPS: SavedGroups = {};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any object, arrays included: something a dotted path can step into. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** GrowthBook's test: a non-empty object whose keys all start with `$`. */
function isOperatorObject(value: Record<string, unknown>): boolean {
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key[0] !== '$') return false;
    count++;
  }
  return count > 0;
}

/**
 * Evaluates `condition` against `attributes`. Keys of a condition are `$and`/`$or`/`$nor`/`$not` or
 * dotted attribute paths; a path's value is a literal to compare with or an object of operators.
 *
 * @example
 * evalCondition({ visits: 3, segments: ['returning'] }, { visits: { $gte: 2 }, segments: { $in: ['returning'] } }); // true
 */
export function evalCondition(
  attributes: Attributes,
  condition: Condition,
  savedGroups?: SavedGroups,
): boolean {
  return matches(attributes, condition, savedGroups ?? NO_GROUPS);
}

function matches(attributes: unknown, condition: unknown, groups: SavedGroups): boolean {
  if (!isRecord(condition)) return false;
  for (const key in condition) {
    if (!Object.hasOwn(condition, key)) continue;
    const value = condition[key];
    switch (key) {
      case '$or':
        if (!Array.isArray(value) || !anyMatches(attributes, value, groups)) return false;
        break;
      case '$nor':
        if (!Array.isArray(value) || anyMatches(attributes, value, groups)) return false;
        break;
      case '$and':
        if (!Array.isArray(value)) return false;
        for (const sub of value) if (!matches(attributes, sub, groups)) return false;
        break;
      case '$not':
        if (!isRecord(value) || matches(attributes, value, groups)) return false;
        break;
      default:
        if (!matchesValue(value, getPath(attributes, key), groups, false)) return false;
    }
  }
  return true;
}

/** GrowthBook's `$or`: an empty list passes (and so an empty `$nor` fails). */
function anyMatches(attributes: unknown, conditions: unknown[], groups: SavedGroups): boolean {
  if (conditions.length === 0) return true;
  for (const sub of conditions) if (matches(attributes, sub, groups)) return true;
  return false;
}

/**
 * The value at a dot-separated path, or `null` when any step is missing. Only own properties are
 * followed (GrowthBook uses `in`, which would also reach `constructor` or `__proto__`).
 */
function getPath(attributes: unknown, path: string): unknown {
  if (path.indexOf('.') === -1) {
    return isObject(attributes) && Object.hasOwn(attributes, path) ? attributes[path] : null;
  }
  let current = attributes;
  for (const part of splitPath(path)) {
    if (!isObject(current) || !Object.hasOwn(current, part)) return null;
    current = current[part];
  }
  return current;
}

// Splitting a path allocates, and the same few dotted paths come back on every request.
const PATH_CACHE_LIMIT = 1024;
const pathCache = new Map<string, readonly string[]>();

function splitPath(path: string): readonly string[] {
  let parts = pathCache.get(path);
  if (parts === undefined) {
    parts = path.split('.');
    if (pathCache.size >= PATH_CACHE_LIMIT) pathCache.clear();
    pathCache.set(path, parts);
  }
  return parts;
}

/** Compares an attribute value with a condition value: a literal or an object of operators. */
function matchesValue(
  expected: unknown,
  actual: unknown,
  groups: SavedGroups,
  insensitive: boolean,
): boolean {
  // Literals compare loosely, as GrowthBook does: `value + ""`, `value * 1`, truthiness.
  if (typeof expected === 'string') {
    return insensitive ? toStr(actual)?.toLowerCase() === expected.toLowerCase() : toStr(actual) === expected;
  }
  if (typeof expected === 'number') return toNumber(actual) === expected;
  if (typeof expected === 'boolean') return actual !== null && Boolean(actual) === expected;
  if (expected === null) return actual === null;
  if (!isRecord(expected) || !isOperatorObject(expected)) {
    const json = toJson(actual);
    return json !== undefined && json === toJson(expected);
  }
  for (const op in expected) {
    if (!Object.hasOwn(expected, op)) continue;
    if (!matchesOperator(op, actual, expected[op], groups)) return false;
  }
  return true;
}

function matchesOperator(op: string, actual: unknown, expected: unknown, groups: SavedGroups): boolean {
  switch (op) {
    case '$veq':
      return paddedVersionString(actual) === paddedVersionString(expected);
    case '$vne':
      return paddedVersionString(actual) !== paddedVersionString(expected);
    case '$vgt':
      return paddedVersionString(actual) > paddedVersionString(expected);
    case '$vgte':
      return paddedVersionString(actual) >= paddedVersionString(expected);
    case '$vlt':
      return paddedVersionString(actual) < paddedVersionString(expected);
    case '$vlte':
      return paddedVersionString(actual) <= paddedVersionString(expected);
    case '$eq':
      return actual === expected;
    case '$ne':
      return actual !== expected;
    case '$lt':
      return lessThan(actual, expected);
    case '$lte':
      return lessOrEqual(actual, expected);
    case '$gt':
      return lessThan(expected, actual);
    case '$gte':
      return lessOrEqual(expected, actual);
    case '$exists':
      // Loose on purpose, as in GrowthBook: `undefined` counts as missing too.
      return expected ? actual !== null && actual !== undefined : actual === null || actual === undefined;
    case '$in':
      return Array.isArray(expected) && isIn(actual, expected, false);
    case '$ini':
      return Array.isArray(expected) && isIn(actual, expected, true);
    case '$nin':
      return Array.isArray(expected) && !isIn(actual, expected, false);
    case '$nini':
      return Array.isArray(expected) && !isIn(actual, expected, true);
    case '$inGroup':
      return isIn(actual, savedGroup(groups, expected), false);
    case '$notInGroup':
      return !isIn(actual, savedGroup(groups, expected), false);
    case '$not':
      return !matchesValue(expected, actual, groups, false);
    case '$size':
      return Array.isArray(actual) && matchesValue(expected, actual.length, groups, false);
    case '$elemMatch':
      return elemMatch(actual, expected, groups);
    case '$all':
      return Array.isArray(expected) && isInAll(actual, expected, groups, false);
    case '$alli':
      return Array.isArray(expected) && isInAll(actual, expected, groups, true);
    case '$regex':
      return testRegex(expected, actual, false);
    case '$regexi':
      return testRegex(expected, actual, true);
    case '$type':
      return typeName(actual) === expected;
    default:
      return false;
  }
}

function savedGroup(groups: SavedGroups, id: unknown): readonly unknown[] {
  if (typeof id !== 'string' || !Object.hasOwn(groups, id)) return [];
  const members = groups[id];
  return Array.isArray(members) ? members : [];
}

/** Membership; an array attribute matches when any of its elements is in the list. */
function isIn(actual: unknown, list: readonly unknown[], insensitive: boolean): boolean {
  if (insensitive) {
    if (Array.isArray(actual)) return actual.some((el) => list.some((exp) => foldCase(el) === foldCase(exp)));
    const folded = foldCase(actual);
    return list.some((exp) => folded === foldCase(exp));
  }
  if (Array.isArray(actual)) return actual.some((el) => list.includes(el));
  return list.includes(actual);
}

function foldCase(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

/** Every expected value (a literal or an operator object) matches some element of `actual`. */
function isInAll(
  actual: unknown,
  expected: readonly unknown[],
  groups: SavedGroups,
  insensitive: boolean,
): boolean {
  if (!Array.isArray(actual)) return false;
  return expected.every((exp) => actual.some((el) => matchesValue(exp, el, groups, insensitive)));
}

/** Some truthy element of `actual` matches: an operator object applies to the element itself, any
 * other object is a condition on the element's fields. */
function elemMatch(actual: unknown, expected: unknown, groups: SavedGroups): boolean {
  if (!Array.isArray(actual) || !isRecord(expected)) return false;
  const onValue = isOperatorObject(expected);
  for (const el of actual) {
    if (!el) continue;
    if (onValue ? matchesValue(expected, el, groups, false) : matches(el, expected, groups)) return true;
  }
  return false;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  return TYPE_NAMES.has(t) ? t : 'unknown';
}

// JavaScript's own loose conversions, spelled out so the engine stays free of `any`. Where JavaScript
// would throw (an object without a prototype, a symbol, a cycle), the value converts to nothing and
// the comparison is false.

function toStr(value: unknown): string | undefined {
  if (typeof value === 'symbol') return undefined;
  try {
    return String(value);
  } catch {
    return undefined;
  }
}

function toNumber(value: unknown): number {
  if (typeof value === 'symbol') return Number.NaN;
  return isObject(value) ? Number(toStr(value)) : Number(value);
}

function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** JavaScript's `a < b` (abstract relational comparison) for JSON-like values: two strings compare by
 * code units, anything else numerically, and NaN compares false. */
function lessThan(a: unknown, b: unknown): boolean {
  const pa = toPrimitive(a);
  const pb = toPrimitive(b);
  if (typeof pa === 'string' && typeof pb === 'string') return pa < pb;
  return toNumber(pa) < toNumber(pb);
}

/** JavaScript's `a <= b`. */
function lessOrEqual(a: unknown, b: unknown): boolean {
  const pa = toPrimitive(a);
  const pb = toPrimitive(b);
  if (typeof pa === 'string' && typeof pb === 'string') return pa <= pb;
  return toNumber(pa) <= toNumber(pb);
}

/** Objects and arrays become their string form (`[object Object]`, `1,2`), as `<` would make them. */
function toPrimitive(value: unknown): unknown {
  return isObject(value) ? toStr(value) : value;
}

/**
 * GrowthBook's sortable form of a version: `v` prefix and build metadata dropped, a release gets a
 * trailing `~` (so it sorts after its pre-releases), numeric parts are left-padded to five characters.
 */
export function paddedVersionString(input: unknown): string {
  const raw = typeof input === 'number' ? String(input) : input;
  const version = raw && typeof raw === 'string' ? raw : '0';
  const parts = version.replace(/(^v|\+.*$)/g, '').split(/[-.]/);
  if (parts.length === 3) parts.push('~');
  return parts.map((part) => (/^[0-9]+$/.test(part) ? part.padStart(5, ' ') : part)).join('-');
}

// Compiled regexes, shared by all requests of an isolate. `null` remembers a pattern that does not
// compile, so a bad one costs one failed compile, not one per request.
const REGEX_CACHE_LIMIT = 512;
const regexCache = new Map<string, RegExp | null>();

function compileRegex(pattern: string, insensitive: boolean): RegExp | null {
  const key = (insensitive ? 'i:' : ':') + pattern;
  const cached = regexCache.get(key);
  if (cached !== undefined) return cached;
  let regex: RegExp | null = null;
  // A pattern that can backtrack catastrophically never runs, even from a document stored before
  // such patterns were refused on save: it matches nothing.
  if (regexProblem(pattern, insensitive ? 'i' : '') === null) {
    try {
      // GrowthBook escapes unescaped `/` for parity with its other SDKs; in JavaScript it changes nothing.
      regex = new RegExp(pattern.replace(/([^\\])\//g, '$1\\/'), insensitive ? 'i' : undefined);
    } catch {
      regex = null;
    }
  }
  if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
  regexCache.set(key, regex);
  return regex;
}

function testRegex(pattern: unknown, actual: unknown, insensitive: boolean): boolean {
  if (typeof pattern !== 'string') return false;
  const regex = compileRegex(pattern, insensitive);
  // `RegExp#test` converts its argument to a string, as in GrowthBook (a missing value tests "null").
  const subject = toStr(actual);
  return regex !== null && subject !== undefined && regex.test(regexSubject(subject));
}

// Validation, for uploaded documents.

const MAX_DEPTH = 32;

/**
 * Problems that make `condition` structurally invalid, each prefixed with where it is (`path`).
 * Empty when the condition is well formed. Stricter than GrowthBook where GrowthBook would silently
 * never match (an unknown operator, a `$in` without a list, a regex that does not compile).
 *
 * @example
 * validateCondition({ visits: { $gte: '2', $foo: 1 } }, 'segments.returning');
 * // ['segments.returning.visits.$foo: unknown operator "$foo"']
 */
export function validateCondition(condition: unknown, path: string): string[] {
  const problems: string[] = [];
  checkCondition(condition, path, problems, 0);
  return problems;
}

function checkCondition(condition: unknown, path: string, problems: string[], depth: number): void {
  if (depth > MAX_DEPTH) {
    problems.push(`${path}: nested more than ${MAX_DEPTH} levels deep`);
    return;
  }
  if (!isRecord(condition)) {
    problems.push(`${path}: a condition must be an object, got ${describe(condition)}`);
    return;
  }
  for (const [key, value] of Object.entries(condition)) {
    const at = `${path}.${key}`;
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(value)) {
        problems.push(`${at}: must be an array of conditions, got ${describe(value)}`);
        continue;
      }
      value.forEach((sub, i) => {
        checkCondition(sub, `${at}[${i}]`, problems, depth + 1);
      });
    } else if (key === '$not') {
      checkCondition(value, at, problems, depth + 1);
    } else if (key.startsWith('$')) {
      problems.push(
        VALUE_OPERATORS.has(key)
          ? `${at}: "${key}" applies to an attribute, e.g. { "segments": { "${key}": ... } }`
          : `${at}: unknown operator "${key}" (conditions combine with $and, $or, $nor, $not)`,
      );
    } else if (key.split('.').includes('')) {
      problems.push(`${at}: attribute path has an empty part`);
    } else {
      checkValue(value, at, problems, depth + 1);
    }
  }
}

function checkValue(value: unknown, path: string, problems: string[], depth: number): void {
  if (depth > MAX_DEPTH) {
    problems.push(`${path}: nested more than ${MAX_DEPTH} levels deep`);
    return;
  }
  if (!isRecord(value)) {
    if (
      value === undefined ||
      typeof value === 'function' ||
      typeof value === 'symbol' ||
      typeof value === 'bigint'
    ) {
      problems.push(`${path}: expected a JSON value, got ${describe(value)}`);
    }
    return;
  }
  const keys = Object.keys(value);
  const operators = keys.filter((k) => k.startsWith('$'));
  if (operators.length === 0) return; // a literal object, compared as a whole
  if (operators.length !== keys.length) {
    problems.push(
      `${path}: mixes operators (${operators.join(', ')}) with plain keys (${keys
        .filter((k) => !k.startsWith('$'))
        .join(', ')}); it would be compared as a literal object and almost never match`,
    );
    return;
  }
  for (const op of operators) checkOperator(op, value[op], `${path}.${op}`, problems, depth);
}

function checkOperator(op: string, arg: unknown, path: string, problems: string[], depth: number): void {
  switch (op) {
    case '$eq':
    case '$ne':
      if (isRecord(arg) || Array.isArray(arg)) {
        problems.push(
          `${path}: compares by identity, so an object or array never matches; use a literal instead`,
        );
      }
      return;
    case '$lt':
    case '$lte':
    case '$gt':
    case '$gte':
      if (typeof arg !== 'number' && typeof arg !== 'string') {
        problems.push(`${path}: must be a number or a string, got ${describe(arg)}`);
      }
      return;
    case '$veq':
    case '$vne':
    case '$vgt':
    case '$vgte':
    case '$vlt':
    case '$vlte':
      if (typeof arg !== 'string' && typeof arg !== 'number') {
        problems.push(`${path}: must be a version string such as "1.2.3", got ${describe(arg)}`);
      }
      return;
    case '$exists':
      if (typeof arg !== 'boolean') problems.push(`${path}: must be true or false, got ${describe(arg)}`);
      return;
    case '$in':
    case '$nin':
    case '$ini':
    case '$nini':
      if (!Array.isArray(arg)) problems.push(`${path}: must be an array, got ${describe(arg)}`);
      return;
    case '$all':
    case '$alli':
      if (!Array.isArray(arg)) {
        problems.push(`${path}: must be an array, got ${describe(arg)}`);
        return;
      }
      arg.forEach((item, i) => {
        checkValue(item, `${path}[${i}]`, problems, depth + 1);
      });
      return;
    case '$inGroup':
    case '$notInGroup':
      if (typeof arg !== 'string')
        problems.push(`${path}: must be a saved group id (a string), got ${describe(arg)}`);
      return;
    case '$regex':
    case '$regexi':
      if (typeof arg !== 'string') {
        problems.push(`${path}: must be a regular expression string, got ${describe(arg)}`);
        return;
      }
      {
        const problem = regexProblem(arg, op === '$regexi' ? 'i' : '');
        if (problem) problems.push(`${path}: ${problem}`);
      }
      return;
    case '$type':
      if (typeof arg !== 'string' || !TYPE_NAMES.has(arg)) {
        problems.push(`${path}: must be one of ${[...TYPE_NAMES].join(', ')}, got ${describe(arg)}`);
      }
      return;
    case '$size':
      if (typeof arg !== 'number' && !isRecord(arg)) {
        problems.push(`${path}: must be a number or an object of operators, got ${describe(arg)}`);
        return;
      }
      checkValue(arg, path, problems, depth + 1);
      return;
    case '$elemMatch':
      if (!isRecord(arg)) {
        problems.push(`${path}: must be an object (operators or a condition), got ${describe(arg)}`);
      } else if (isOperatorObject(arg)) {
        checkValue(arg, path, problems, depth + 1);
      } else {
        checkCondition(arg, path, problems, depth + 1);
      }
      return;
    case '$not':
      checkValue(arg, path, problems, depth + 1);
      return;
    default:
      problems.push(`${path}: unknown operator "${op}"`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'undefined') return 'nothing';
  return `${typeof value} ${String(value)}`;
}
