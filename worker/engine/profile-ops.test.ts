/**
 * Each profile operation is defined once, with its JavaScript and its Lua; the Upstash script's
 * dispatch is generated from that table. (The store contract suite runs every operation through both
 * implementations against a real redis-server and compares the profiles.)
 */
import { describe, expect, it } from 'vitest';
import { F, P } from './profile-fields.ts';
import { luaApplyOp, OPS } from './profile-ops.ts';

describe('profile operations', () => {
  it('generate one Lua branch per operation, in a function that compiles as a whole', () => {
    const lua = luaApplyOp();
    for (const o of Object.keys(OPS)) expect(lua).toContain(`o == '${o}' then`);
    expect(lua.match(/\belseif o == /g)?.length).toBe(Object.keys(OPS).length - 1);
    expect(lua.startsWith('local function applyOp(op)')).toBe(true);
    expect(lua.trimEnd().endsWith('end\nend')).toBe(true);
  });

  it('take field names from profile-fields.ts, not from literals', () => {
    const lua = luaApplyOp();
    for (const f of [F.firstSeen, F.visits, F.sessionStart, F.sessionPageviews, F.lastSeen, F.sessionId])
      expect(lua).toContain(`'${f}'`);
    expect(lua).toContain(`'${P.interestTime}'`);
  });
});
