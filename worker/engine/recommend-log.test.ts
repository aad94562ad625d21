/**
 * From event log lines to sessions: what a line counts as, the session gap, the cart and purchase
 * arithmetic of the beacon, repeated lines counted once.
 */
import { describe, expect, it } from 'vitest';
import { type LogRecord, logSessions, parseLogLine } from './recommend-log.ts';

const GOALS = { cartGoal: 'add_to_cart', purchaseGoal: 'purchase' };
const MIN = 60_000;
const line = (o: Record<string, unknown>) =>
  JSON.stringify({ at: 1000, day: '2022-01-01', visitor: 'v', ...o });

describe('parseLogLine', () => {
  it('reads pageviews (with or without an item) and the cart and purchase conversions', () => {
    expect(parseLogLine(line({ t: 'pageview', id: 'p1', path: '/p/a', item: 'a' }), GOALS)).toEqual({
      visitor: 'v',
      id: 'p1',
      at: 1000,
      kind: 'view',
      item: 'a',
    });
    expect(parseLogLine(line({ t: 'pageview', id: 'p2', path: '/' }), GOALS)?.kind).toBe('page');
    expect(parseLogLine(line({ t: 'conversion', id: 'c1', goal: 'add_to_cart' }), GOALS)?.kind).toBe('cart');
    expect(parseLogLine(line({ t: 'conversion', id: 'c2', goal: 'purchase' }), GOALS)?.kind).toBe('purchase');
  });

  it('skips other events, other goals and lines that are not records', () => {
    expect(parseLogLine(line({ t: 'scroll', id: 's1', depth: 50 }), GOALS)).toBeNull();
    expect(parseLogLine(line({ t: 'conversion', id: 'c3', goal: 'signup' }), GOALS)).toBeNull();
    expect(parseLogLine('{"t":"pageview"', GOALS)).toBeNull();
    expect(parseLogLine('["pageview"]', GOALS)).toBeNull();
    expect(parseLogLine(JSON.stringify({ t: 'pageview', id: 'x', at: 1 }), GOALS)).toBeNull();
    // an item the beacon would not accept is a page without an item
    expect(parseLogLine(line({ t: 'pageview', id: 'p3', item: '<a>' }), GOALS)?.kind).toBe('page');
  });
});

const rec = (
  visitor: string,
  at: number,
  kind: LogRecord['kind'],
  item?: string,
  id?: string,
): LogRecord => ({
  visitor,
  id: id ?? `${visitor}-${at}-${kind}-${item ?? ''}`,
  at,
  kind,
  ...(item && { item }),
});

describe('logSessions', () => {
  it('splits a visitor at a pageview more than the gap after the previous one', () => {
    const sessions = logSessions(
      [rec('v', 0, 'view', 'a'), rec('v', 20 * MIN, 'view', 'b'), rec('v', 60 * MIN, 'view', 'c')],
      { gapMs: 30 * MIN },
    );
    expect(sessions.map((s) => s.map((e) => e.item))).toEqual([['a', 'b'], ['c']]);
  });

  it('orders each visitor by time whatever the input order, and counts a repeated event once', () => {
    const a = rec('v', 0, 'view', 'a', 'e1');
    const sessions = logSessions([rec('v', MIN, 'view', 'b', 'e2'), rec('w', 0, 'view', 'c'), a, a], {
      gapMs: 30 * MIN,
    });
    expect(sessions.map((s) => s.map((e) => e.item))).toEqual([['a', 'b'], ['c']]);
  });

  it('buys what the session carted on item pages when it purchases', () => {
    const sessions = logSessions(
      [
        rec('v', 0, 'view', 'a'),
        rec('v', 1, 'cart'),
        rec('v', 2, 'page'),
        rec('v', 3, 'cart'), // on a page without an item: nothing carted
        rec('v', 4, 'view', 'b'),
        rec('v', 5, 'purchase'),
        rec('v', 6, 'purchase'), // the cart is empty after a purchase
      ],
      { gapMs: 30 * MIN },
    );
    expect(sessions).toEqual([
      [
        { item: 'a', at: 0, kind: 'view' },
        { item: 'b', at: 4, kind: 'view' },
        { item: 'a', at: 5, kind: 'purchase' },
      ],
    ]);
  });

  it('learns only the items it is told are items, and drops sessions without any', () => {
    const sessions = logSessions([rec('v', 0, 'view', 'zz'), rec('w', 0, 'view', 'a'), rec('x', 0, 'page')], {
      gapMs: 30 * MIN,
      isItem: (i) => i === 'a',
    });
    expect(sessions).toEqual([[{ item: 'a', at: 0, kind: 'view' }]]);
  });
});
