/**
 * @module condition.test
 * Targeting must mean what it means in GrowthBook (every conformance case), never throw whatever a
 * document or a visitor holds, and a bad document must be refused with problems a person can fix.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evalCondition, paddedVersionString, validateCondition } from './condition';
import cases from './fixtures/growthbook-cases.json';

type Case = {
  name: string;
  condition: Record<string, unknown>;
  attributes: Record<string, unknown>;
  expected: boolean;
  savedGroups?: Record<string, unknown[]>;
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toCase(row: unknown): Case {
  if (!Array.isArray(row)) throw new Error('evalCondition row is not an array');
  const [name, condition, attributes, expected, groups] = row;
  if (
    typeof name !== 'string' ||
    !isRecord(condition) ||
    !isRecord(attributes) ||
    typeof expected !== 'boolean'
  ) {
    throw new Error(`malformed evalCondition row: ${JSON.stringify(row)}`);
  }
  if (groups === undefined) return { name, condition, attributes, expected };
  if (!isRecord(groups)) throw new Error(`${name}: saved groups must be an object`);
  const savedGroups: Record<string, unknown[]> = {};
  for (const [id, members] of Object.entries(groups)) {
    if (!Array.isArray(members)) throw new Error(`${name}: group ${id} is not an array`);
    savedGroups[id] = members;
  }
  return { name, condition, attributes, expected, savedGroups };
}

const fixture: Record<string, unknown> = cases;
const conditionCases = Array.isArray(fixture.evalCondition) ? fixture.evalCondition.map(toCase) : [];

describe('evalCondition (GrowthBook conformance)', () => {
  it('has all 248 cases of spec 0.8.0', () => {
    expect(fixture.specVersion).toBe('0.8.0');
    expect(conditionCases).toHaveLength(248);
  });

  for (const c of conditionCases) {
    it(c.name, () => {
      expect(evalCondition(c.attributes, c.condition, c.savedGroups)).toBe(c.expected);
    });
  }
});

describe('evalCondition on HIO attributes', () => {
  const visitor = {
    visits: 3,
    device: 'desktop',
    segments: ['returning', 'engaged'],
    conversions: { purchase: 1 },
    interests: { shoes: 0.8 },
    topInterest: 'shoes',
  };

  it('targets segments with $in, $nin and $all', () => {
    expect(evalCondition(visitor, { segments: { $in: ['returning'] } })).toBe(true);
    expect(evalCondition(visitor, { segments: { $nin: ['returning'] } })).toBe(false);
    expect(evalCondition(visitor, { segments: { $all: ['returning', 'engaged'] } })).toBe(true);
    expect(evalCondition(visitor, { segments: { $all: ['returning', 'new'] } })).toBe(false);
  });

  it('reaches into objects with dotted keys', () => {
    expect(evalCondition(visitor, { 'conversions.purchase': { $gte: 1 } })).toBe(true);
    expect(
      evalCondition(visitor, { 'interests.shoes': { $gt: 0.5 }, 'interests.bags': { $exists: false } }),
    ).toBe(true);
  });

  it('evaluates the contract example targeting', () => {
    const targeting = { $and: [{ segments: { $in: ['returning'] } }, { device: 'desktop' }] };
    expect(evalCondition(visitor, targeting)).toBe(true);
    expect(evalCondition({ ...visitor, device: 'mobile' }, targeting)).toBe(false);
  });

  it('does not follow inherited properties such as constructor or __proto__', () => {
    expect(evalCondition({}, { constructor: { $exists: true } })).toBe(false);
    expect(evalCondition({ a: {} }, { 'a.toString': { $exists: true } })).toBe(false);
    const protoKey: Record<string, unknown> = JSON.parse('{"__proto__": {"$exists": true}}');
    expect(evalCondition({}, protoKey)).toBe(false);
    expect(evalCondition({ id: 1 }, { id: { $inGroup: 'constructor' } }, {})).toBe(false);
  });

  it('fails closed on malformed logic instead of matching everyone', () => {
    expect(evalCondition(visitor, { $or: { device: 'desktop' } })).toBe(false);
    expect(evalCondition(visitor, { $and: 'x' })).toBe(false);
    expect(evalCondition(visitor, { $not: null })).toBe(false);
    expect(evalCondition(visitor, { $and: [1] })).toBe(false);
    expect(evalCondition(visitor, { segments: { $elemMatch: 'returning' } })).toBe(false);
  });

  it('keeps an invalid regex false on every evaluation', () => {
    for (let i = 0; i < 3; i++) expect(evalCondition({ name: 'x' }, { name: { $regex: '[' } })).toBe(false);
  });

  it('treats a regex with slashes as JavaScript does', () => {
    expect(evalCondition({ path: '/shop/shoes' }, { path: { $regex: '^/shop/' } })).toBe(true);
    expect(evalCondition({ path: '/blog/shop/' }, { path: { $regex: '^/shop/' } })).toBe(false);
  });
});

describe('paddedVersionString', () => {
  it('orders releases after their pre-releases and pads numbers', () => {
    expect(paddedVersionString('v1.2.3+build')).toBe('    1-    2-    3-~');
    expect(paddedVersionString('1.0.0-beta') < paddedVersionString('1.0.0')).toBe(true);
    expect(paddedVersionString(null)).toBe('    0');
    expect(paddedVersionString(2)).toBe('    2');
  });
});

const jsonCondition = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 }), {
  maxKeys: 4,
});
const operatorName = fc.constantFrom(
  '$eq',
  '$ne',
  '$lt',
  '$gte',
  '$vgt',
  '$exists',
  '$in',
  '$nin',
  '$ini',
  '$all',
  '$alli',
  '$inGroup',
  '$regex',
  '$regexi',
  '$type',
  '$size',
  '$elemMatch',
  '$not',
  '$and',
  '$or',
  '$nor',
  '$bogus',
);
/** Conditions built from real operators with arbitrary arguments: the inputs most likely to trip a bug. */
const operatorCondition = fc.letrec((tie) => ({
  condition: fc.dictionary(
    fc.oneof(operatorName, fc.constantFrom('a', 'a.b', 'tags')),
    fc.oneof(tie('value'), fc.array(tie('condition'), { maxLength: 3 })),
    { maxKeys: 3 },
  ),
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(operatorName, fc.oneof(tie('value'), tie('condition')), { maxKeys: 2 }),
  ),
}));
const attributesArb = fc.record(
  { a: fc.jsonValue({ maxDepth: 3 }), tags: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }) },
  { requiredKeys: [] },
);
const groupsArb = fc.dictionary(fc.string({ maxLength: 4 }), fc.array(fc.jsonValue({ maxDepth: 1 })));

describe('evalCondition properties', () => {
  it('never throws and always answers a boolean, whatever the document or the visitor holds', () => {
    fc.assert(
      fc.property(
        attributesArb,
        fc.oneof(jsonCondition, operatorCondition.condition),
        groupsArb,
        (attributes, condition, groups) => {
          if (!isRecord(condition)) return true;
          expect(typeof evalCondition(attributes, condition, groups)).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('$not negates, $or of one is that one, $and of one is that one', () => {
    fc.assert(
      fc.property(attributesArb, operatorCondition.condition, (attributes, condition) => {
        if (!isRecord(condition) || validateCondition(condition, 'c').length > 0) return true;
        const direct = evalCondition(attributes, condition);
        expect(evalCondition(attributes, { $not: condition })).toBe(!direct);
        expect(evalCondition(attributes, { $or: [condition] })).toBe(direct);
        expect(evalCondition(attributes, { $and: [condition] })).toBe(direct);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('validateCondition', () => {
  it('accepts the conditions of the contract example', () => {
    expect(validateCondition({ visits: { $gte: 2 } }, 'segments.returning')).toEqual([]);
    expect(
      validateCondition(
        { $and: [{ segments: { $in: ['returning'] } }, { device: 'desktop' }] },
        'campaigns[0].targeting',
      ),
    ).toEqual([]);
  });

  it('accepts every operator used correctly', () => {
    const condition = {
      $or: [{ visits: { $gt: 1, $lt: 10 } }, { 'conversions.purchase': { $gte: 1 } }],
      $nor: [{ device: 'mobile' }],
      $not: { country: { $nin: ['XX'] } },
      referrer: { $regex: '^https?://(www\\.)?google\\.', $exists: true },
      utm_source: { $regexi: 'news', $type: 'string' },
      segments: { $all: ['a', { $regex: '^b' }], $size: { $gte: 1 }, $elemMatch: { $eq: 'a' } },
      orders: { $elemMatch: { total: { $gt: 100 } } },
      version: { $vgte: '1.2.0', $vlt: '2.0.0' },
      id: { $inGroup: 'beta', $not: { $notInGroup: 'beta' } },
      topInterest: { $ini: ['Shoes'], $ne: 'bags' },
      tags: ['exact', 'list'],
      address: { city: 'Paris' },
      newVisitor: false,
      hour: 9,
      engaged: null,
    };
    expect(validateCondition(condition, 'c')).toEqual([]);
  });

  it('refuses something that is not an object', () => {
    expect(validateCondition([], 'c')).toEqual(['c: a condition must be an object, got an array']);
    expect(validateCondition('visits > 2', 'c')).toEqual([
      'c: a condition must be an object, got "visits > 2"',
    ]);
  });

  it('names an unknown operator and where it is', () => {
    expect(validateCondition({ name: { $regx: 'hello' } }, 'campaigns[2].targeting')).toEqual([
      'campaigns[2].targeting.name.$regx: unknown operator "$regx"',
    ]);
    expect(validateCondition({ $xor: [] }, 'c')).toEqual([
      'c.$xor: unknown operator "$xor" (conditions combine with $and, $or, $nor, $not)',
    ]);
  });

  it('explains an attribute operator used at the top level', () => {
    expect(validateCondition({ $in: ['returning'] }, 'c')[0]).toContain('"$in" applies to an attribute');
  });

  it('requires arrays where GrowthBook expects them', () => {
    expect(validateCondition({ num: { $in: 1 } }, 'c')).toEqual([
      'c.num.$in: must be an array, got number 1',
    ]);
    expect(validateCondition({ num: { $nin: 'a' } }, 'c')).toEqual(['c.num.$nin: must be an array, got "a"']);
    expect(validateCondition({ tags: { $all: {} } }, 'c')).toEqual([
      'c.tags.$all: must be an array, got an object',
    ]);
    expect(validateCondition({ $and: { a: 1 } }, 'c')).toEqual([
      'c.$and: must be an array of conditions, got an object',
    ]);
    expect(validateCondition({ $or: [{ a: 1 }, 'b'] }, 'c')).toEqual([
      'c.$or[1]: a condition must be an object, got "b"',
    ]);
    expect(validateCondition({ $nor: [[]] }, 'c')).toEqual([
      'c.$nor[0]: a condition must be an object, got an array',
    ]);
  });

  it('refuses a regex that does not compile', () => {
    const problems = validateCondition({ name: { $regex: '/???***[)' } }, 'c');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^c\.name\.\$regex: not a valid regular expression/);
    expect(validateCondition({ name: { $regexi: 5 } }, 'c')).toEqual([
      'c.name.$regexi: must be a regular expression string, got number 5',
    ]);
  });

  it('checks argument types of the other operators', () => {
    expect(validateCondition({ a: { $exists: 1 } }, 'c')).toEqual([
      'c.a.$exists: must be true or false, got number 1',
    ]);
    expect(validateCondition({ a: { $type: 'int' } }, 'c')[0]).toContain(
      'c.a.$type: must be one of string, number',
    );
    expect(validateCondition({ a: { $gt: [1] } }, 'c')).toEqual([
      'c.a.$gt: must be a number or a string, got an array',
    ]);
    expect(validateCondition({ a: { $vgt: true } }, 'c')[0]).toContain('must be a version string');
    expect(validateCondition({ a: { $inGroup: 1 } }, 'c')[0]).toContain('must be a saved group id');
    expect(validateCondition({ a: { $size: 'x' } }, 'c')[0]).toContain('c.a.$size: must be a number');
    expect(validateCondition({ a: { $elemMatch: 'x' } }, 'c')[0]).toContain(
      'c.a.$elemMatch: must be an object',
    );
    expect(validateCondition({ a: { $eq: { b: 1 } } }, 'c')[0]).toContain('never matches');
  });

  it('finds problems nested in $not, $elemMatch, $size and $all', () => {
    expect(
      validateCondition(
        {
          $not: { a: { $in: 1 } },
          b: { $elemMatch: { c: { $bad: 1 } } },
          d: { $size: { $gt: {} } },
          e: { $all: [{ $regex: '(' }] },
          f: { $not: { $exists: 'yes' } },
        },
        'c',
      ),
    ).toEqual([
      'c.$not.a.$in: must be an array, got number 1',
      'c.b.$elemMatch.c.$bad: unknown operator "$bad"',
      'c.d.$size.$gt: must be a number or a string, got an object',
      expect.stringMatching(/^c\.e\.\$all\[0\]\.\$regex: not a valid regular expression/),
      'c.f.$not.$exists: must be true or false, got "yes"',
    ]);
  });

  it('refuses an object that mixes operators with plain keys', () => {
    expect(validateCondition({ a: { $gt: 1, b: 2 } }, 'c')[0]).toContain(
      'c.a: mixes operators ($gt) with plain keys (b)',
    );
  });

  it('refuses an attribute path with an empty part', () => {
    expect(validateCondition({ 'conversions..purchase': 1 }, 'c')).toEqual([
      'c.conversions..purchase: attribute path has an empty part',
    ]);
  });

  it('refuses conditions nested deeper than it evaluates safely', () => {
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 40; i++) deep = { $not: deep };
    expect(validateCondition(deep, 'c')[0]).toMatch(/nested more than \d+ levels deep/);
  });

  it('accepts exactly the fixture conditions that GrowthBook evaluates without error', () => {
    const refused = conditionCases
      .filter((c) => validateCondition(c.condition, 'c').length > 0)
      .map((c) => c.name);
    expect(refused.sort()).toEqual(
      [
        '$groups - match',
        '$groups - no match',
        '$in - not array',
        '$ini - not array',
        '$nin - not array',
        '$nini - not array',
        '$regex invalid - fail',
        '$regex invalid - pass',
        'unknown operator - pass',
      ].sort(),
    );
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), operatorCondition.condition), (condition) => {
        expect(Array.isArray(validateCondition(condition, 'c'))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
