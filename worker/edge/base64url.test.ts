/** One value, one spelling: a signed cookie or link cannot be written several ways. */
import { describe, expect, it } from 'vitest';
import { b64url, unb64url } from './base64url.ts';

describe('base64url', () => {
  it('round-trips, and refuses padding, +/, spaces and stray bits', () => {
    const bytes = new Uint8Array([251, 255, 0, 1, 2, 3, 4]);
    const s = b64url(bytes);
    expect(s).toBe('-_8AAQIDBA');
    expect(unb64url(s)).toEqual(bytes);
    for (const other of [
      `${s}=`,
      s.replace('-', '+').replace('_', '/'),
      `${s.slice(0, 4)} ${s.slice(4)}`,
      `${s.slice(0, -1)}B`,
    ])
      expect(unb64url(other), other).toBeNull();
    expect(unb64url('A')).toBeNull();
  });
});
