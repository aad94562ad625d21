import { describe, expect, it } from 'vitest';
import { formName } from './form';
import { guard } from './guard';
import { newId } from './id';
import { pageview, slug } from './page';
import { slotOf } from './slot';
import { goalName, toValue } from './value';

/** Just enough of an element for `closest` / `getAttribute`. */
interface FakeEl {
  getAttribute(name: string): string | null;
  closest(selector: string): FakeEl | null;
}
function el(attrs: Record<string, string>, parent?: FakeEl): Element {
  const node: FakeEl = {
    getAttribute: (n) => attrs[n] ?? null,
    closest: (sel) => {
      const name = /^\[([\w-]+)\]$/.exec(sel)?.[1];
      return name && name in attrs ? node : (parent?.closest(sel) ?? null);
    },
  };
  return node as unknown as Element;
}

describe('newId', () => {
  it('is 8-14 characters the collector accepts, and unique', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId()));
    expect(ids.size).toBe(10_000);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]{8,14}$/);
  });
});

describe('guard', () => {
  it('swallows errors', () => {
    const f = guard((x: number) => {
      throw new Error(String(x));
    });
    expect(() => f(1)).not.toThrow();
  });
});

describe('toValue', () => {
  it('accepts numbers and numeric strings in [0, 1e9]', () => {
    expect(toValue(49.9)).toBe(49.9);
    expect(toValue('12.5')).toBe(12.5);
    expect(toValue(0)).toBe(0);
  });
  it('turns anything else into no value', () => {
    for (const v of [undefined, null, '', 'abc', Number.NaN, Infinity, -1, 2e9, {}, [3]]) {
      expect(toValue(v)).toBeUndefined();
    }
  });
});

describe('slotOf', () => {
  it('finds the marked slot around an element', () => {
    const slot = el({ 'data-hio-campaign': 'hero', 'data-hio-variant': 'b' });
    expect(slotOf(el({}, el({}, slot)))).toEqual({ campaign: 'hero', variant: 'b' });
    expect(slotOf(el({}))).toBeUndefined();
  });
});

describe('formName', () => {
  it('is the id, else the name, else nothing', () => {
    expect(formName(el({ id: 'signup', name: 'n' }))).toBe('signup');
    expect(formName(el({ name: 'n' }))).toBe('n');
    expect(formName(el({}))).toBeUndefined();
  });
});

describe('pageview', () => {
  const doc = (category: string | null, referrer = '', item: string | null = null) => ({
    referrer,
    querySelector: (selector: string) => {
      const v = selector.includes('hio:item') ? item : category;
      return v === null ? null : ({ getAttribute: () => v } as unknown as Element);
    },
  });

  it('carries the path, the category, the item and the referrer', () => {
    expect(pageview(doc('shoes', 'https://a.example/', 'boot.1'), '/p/1')).toEqual({
      t: 'pageview',
      path: '/p/1',
      category: 'shoes',
      item: 'boot.1',
      ref: 'https://a.example/',
    });
    // an item id the collector would refuse is made one it takes
    expect(pageview(doc(null, '', ' Boot #1 '), '/p/1').item).toBe('Boot-1');
  });

  it('leaves out what the page does not have, and bounds long strings', () => {
    const e = pageview(doc(null), `/${'x'.repeat(600)}`);
    expect(e).toEqual({
      t: 'pageview',
      path: `/${'x'.repeat(511)}`,
      category: undefined,
      item: undefined,
      ref: undefined,
    });
    expect(pageview(doc('  '), '/').category).toBeUndefined();
  });

  it('normalizes the category to the collector form', () => {
    expect(slug(' Running Shoes ')).toBe('running-shoes');
    expect(slug('Home & Garden/Tools')).toBe('home-garden-tools');
    expect(slug('a'.repeat(50))).toHaveLength(40);
  });
});

describe('goalName', () => {
  it('turns any goal label into one the collector accepts', () => {
    expect(goalName('purchase')).toBe('purchase');
    expect(goalName(' add to cart ')).toBe('add-to-cart');
    expect(goalName('Newsletter: sign-up!')).toBe('Newsletter:-sign-up-');
    expect(goalName('x'.repeat(80))).toHaveLength(64);
    expect(goalName('   ')).toBe('');
  });
});
