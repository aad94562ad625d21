/**
 * The beacon's wire format is defined once (beacon-protocol.ts): the collector's schema and the
 * browser script's types must both follow it. These fail when either drifts.
 */
import type * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SentEvent as ClientSent } from '../../client/src/types.ts';
import {
  EVENT_TYPES,
  MAX_BATCH_BYTES,
  MAX_EVENTS,
  SCROLL_DEPTHS,
  type SentEvent,
  type WireEvent,
} from './beacon-protocol.ts';
import { EventSchema, parseBatch } from './events.ts';

type Parsed = v.InferOutput<typeof EventSchema>;
/** what the schema takes (a click's item marks may be null: hints the collector drops, see events.ts) */
type Input = v.InferInput<typeof EventSchema>;

describe('the beacon protocol', () => {
  it('names exactly the event types the collector accepts', () => {
    const accepted = EventSchema.options.map((o) => o.entries.t.literal).sort();
    expect(accepted).toEqual([...EVENT_TYPES].sort());
  });

  it('has the same shape on the wire as in the collector (types, both ways)', () => {
    expectTypeOf<Omit<Parsed, 'id' | 'ts'>>().toEqualTypeOf<Omit<Parsed, 'id' | 'ts'>>();
    // every event the collector accepts is a wire event, and every wire event with an id parses
    expectTypeOf<Parsed>().toMatchTypeOf<SentEvent>();
    expectTypeOf<SentEvent>().toMatchTypeOf<Input>();
    expectTypeOf<Input>().toMatchTypeOf<SentEvent>();
    expectTypeOf<ClientSent>().toEqualTypeOf<SentEvent>();
    expectTypeOf<WireEvent['t']>().toEqualTypeOf<(typeof EVENT_TYPES)[number]>();
  });

  it('enforces its limits: depths, batch size', () => {
    for (const depth of SCROLL_DEPTHS) {
      expect(parseBatch({ events: [{ t: 'scroll', id: 'abcd', depth }] }).ok).toBe(true);
    }
    expect(parseBatch({ events: [{ t: 'scroll', id: 'abcd', depth: 60 }] }).ok).toBe(false);
    const many = Array.from({ length: MAX_EVENTS + 1 }, (_, i) => ({
      t: 'click',
      id: `id-${i}`,
      campaign: 'c',
      variant: 'v',
    }));
    expect(parseBatch({ events: many }).ok).toBe(false);
    expect(parseBatch({ events: many.slice(0, MAX_EVENTS) }).ok).toBe(true);
    expect(MAX_BATCH_BYTES).toBe(16 * 1024);
  });

  it("keeps a click's item marks when they are an id and a position, and drops them otherwise", () => {
    const click = (marks: object) => {
      const r = parseBatch({ events: [{ t: 'click', id: 'abcd', campaign: 'c', variant: 'v', ...marks }] });
      if (!r.ok) throw new Error(r.problems.join('; '));
      const [e] = r.batch.events;
      return e?.t === 'click' ? { item: e.item, pos: e.pos } : null;
    };
    expect(click({ item: 'wool-sock', pos: 2 })).toEqual({ item: 'wool-sock', pos: 2 });
    expect(click({})).toEqual({ item: undefined, pos: undefined });
    // what a page may write by mistake: never a reason to lose the batch
    for (const [item, pos] of [
      [null, null],
      ['two words', 0],
      ['x'.repeat(65), 1.5],
      ['', 101],
      ['ok', -3],
    ] as const)
      expect(click({ item, pos })).toEqual({ item: item === 'ok' ? 'ok' : undefined, pos: undefined });
    // but not a body that is not even a mark
    expect(
      parseBatch({ events: [{ t: 'click', id: 'abcd', campaign: 'c', variant: 'v', item: 5 }] }).ok,
    ).toBe(false);
    expect(
      parseBatch({ events: [{ t: 'click', id: 'abcd', campaign: 'c', variant: 'v', item: 'x'.repeat(513) }] })
        .ok,
    ).toBe(false);
  });
});
