import { describe, expect, it } from 'vitest';
import { createEngagement } from './engaged';

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('createEngagement', () => {
  it('counts arriving on the page as activity, for 15 s', () => {
    const c = clock();
    const e = createEngagement(c.now, true);
    c.advance(60_000);
    expect(e.take()).toBe(15_000);
  });

  it('keeps counting while inputs keep coming, and returns the increment since the last take', () => {
    const c = clock();
    const e = createEngagement(c.now, true);
    for (let i = 0; i < 6; i++) {
      c.advance(10_000);
      e.input();
    }
    expect(e.take()).toBe(60_000);
    c.advance(5_000);
    expect(e.take()).toBe(5_000);
    c.advance(30_000);
    expect(e.take()).toBe(10_000); // idle after 15 s from the last input
    expect(e.take()).toBe(0);
  });

  it('does not count hidden time, and returning to the tab counts as activity', () => {
    const c = clock();
    const e = createEngagement(c.now, true);
    c.advance(4_000);
    e.visible(false);
    c.advance(100_000);
    e.input(); // a hidden page gets no input, but ignore it if it does
    c.advance(1_000);
    expect(e.take()).toBe(4_000);
    e.visible(true);
    c.advance(20_000);
    expect(e.take()).toBe(15_000);
  });

  it('counts nothing for a page opened in the background until it is shown', () => {
    const c = clock();
    const e = createEngagement(c.now, false);
    c.advance(50_000);
    expect(e.take()).toBe(0);
    e.visible(true);
    c.advance(3_000);
    expect(e.take()).toBe(3_000);
  });

  it('never goes negative when the clock steps back', () => {
    const c = clock();
    const e = createEngagement(c.now, true);
    c.advance(-5_000);
    e.input();
    c.advance(2_000);
    expect(e.take()).toBe(2_000);
  });
});
