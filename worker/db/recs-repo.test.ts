/**
 * The recommendation context the page path holds (recs-repo.ts), loaded with the campaign document:
 * the catalogue from D1 and the model from KV, reloaded only when their fingerprint or stamp changes,
 * and kept when a load fails.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type CompactRecommendModel,
  encodeRecommendModel,
  expandRecommendModel,
  learnNeighbours,
  parseDocument,
  RECOMMEND_COMPACT_VERSION,
  RECOMMEND_MODEL_VERSION,
} from '../engine/index.ts';
import { forgetRecsModel } from '../test/helpers.ts';
import { createCatalogRepo } from './catalog-repo.ts';
import { createConfigRepo } from './config-repo.ts';
import { RECS_COMPACT_KEY, RECS_MODEL_KEY, readRecsModel, writeRecsModel } from './models.ts';
import { loadRecommendContext } from './recs-repo.ts';

const items = (ids: string[]) => ids.map((id) => ({ id, url: `/p/${id}/`, title: id.toUpperCase() }));
const model = (trainedAt: number) =>
  learnNeighbours(
    [
      [
        { item: 'a', at: 1, kind: 'view' as const },
        { item: 'b', at: 2, kind: 'view' as const },
      ],
    ],
    { now: trainedAt, minSupport: 1 },
  );

beforeEach(async () => {
  await forgetRecsModel();
});

describe('loadRecommendContext', () => {
  it('indexes the catalogue by id and page path, and reloads only what changed', async () => {
    const repo = createCatalogRepo(env.HIO_DB);
    await repo.replaceUploaded(items(['a', 'b']), 1000);
    const first = await loadRecommendContext(env.HIO_DB, env.HIO_KV, () => {});
    expect(first?.catalogue.get('a')?.title).toBe('A');
    // the trailing slash of the item's URL is not part of the path it is found by
    expect(first?.byPath.get('/p/b')).toBe('b');
    expect(first?.model).toBeNull();
    // nothing changed: the same context, not a new index
    expect(await loadRecommendContext(env.HIO_DB, env.HIO_KV, () => {})).toBe(first);
    // a new catalogue, then a new model
    await repo.replaceUploaded(items(['a', 'b', 'c']), 2000);
    const second = await loadRecommendContext(env.HIO_DB, env.HIO_KV, () => {});
    expect(second).not.toBe(first);
    expect(second?.catalogue.size).toBe(3);
    await writeRecsModel(env.HIO_KV, encodeRecommendModel(model(5000)), {
      version: RECOMMEND_COMPACT_VERSION,
      trainedAt: 5000,
    });
    const third = await loadRecommendContext(env.HIO_DB, env.HIO_KV, () => {});
    expect(third?.model?.trainedAt).toBe(5000);
    expect(expandRecommendModel(third?.model as CompactRecommendModel).neighbours.a?.[0]?.[0]).toBe('b');
    expect(third?.catalogue).toBe(second?.catalogue);
    // the stamp names the same training: the model is not read again (a changed value is not seen)
    await env.HIO_KV.put(RECS_COMPACT_KEY, encodeRecommendModel(model(6000)));
    expect((await loadRecommendContext(env.HIO_DB, env.HIO_KV, () => {}))?.model?.trainedAt).toBe(5000);
  });

  it('reads a JSON model an earlier release stored (format 1) into the compact form, until the next training', async () => {
    await createCatalogRepo(env.HIO_DB).replaceUploaded(items(['a', 'b']), 1500);
    // format 1: JSON under the old key, the stamp naming version 1
    await writeRecsModel(env.HIO_KV, JSON.stringify(model(7000)), {
      version: RECOMMEND_MODEL_VERSION,
      trainedAt: 7000,
    });
    expect(await env.HIO_KV.get(RECS_COMPACT_KEY)).toBeNull();
    const old = await loadRecommendContext(env.HIO_DB, env.HIO_KV, () => {});
    expect(old?.model?.version).toBe(RECOMMEND_COMPACT_VERSION);
    expect(expandRecommendModel(old?.model as CompactRecommendModel)).toEqual(model(7000));
    // the next training writes format 2 beside it: the JSON key is left for a rollback, not read
    await writeRecsModel(env.HIO_KV, encodeRecommendModel(model(8000)), {
      version: RECOMMEND_COMPACT_VERSION,
      trainedAt: 8000,
    });
    expect(await env.HIO_KV.get(RECS_MODEL_KEY)).not.toBeNull();
    expect((await loadRecommendContext(env.HIO_DB, env.HIO_KV, () => {}))?.model?.trainedAt).toBe(8000);
    // a stamp of a format this release does not know, or a value that is not a model: no model
    expect(await readRecsModel(env.HIO_KV, 3)).toBeNull();
    await env.HIO_KV.put(RECS_COMPACT_KEY, 'not a model');
    expect(await readRecsModel(env.HIO_KV)).toBeNull();
  });

  it('keeps what the isolate holds when a load fails', async () => {
    await createCatalogRepo(env.HIO_DB).replaceUploaded(items(['a']), 3000);
    const held = await loadRecommendContext(env.HIO_DB, env.HIO_KV, () => {});
    const broken = {
      prepare: () => {
        throw new Error('D1 is down');
      },
    } as unknown as D1Database;
    const logged: string[] = [];
    expect(await loadRecommendContext(broken, env.HIO_KV, (m) => logged.push(m))).toBeNull();
    expect(logged).toHaveLength(1);
    expect(await loadRecommendContext(env.HIO_DB, env.HIO_KV, () => {})).toBe(held);
  });

  it('comes with a live document that has recommendation variants, and not otherwise', async () => {
    await createCatalogRepo(env.HIO_DB).replaceUploaded(items(['a']), 4000);
    const repo = createConfigRepo(env.HIO_DB, 10_000, () => {}, env.HIO_KV);
    const compile = (campaigns: unknown[]) => {
      const parsed = parseDocument({ version: 1, campaigns });
      if (!parsed.ok) throw new Error(parsed.problems.join('; '));
      return parsed.doc;
    };
    await repo.save(compile([]), 4000);
    expect((await repo.live(4000)).recommendations).toBeNull();
    const recs = compile([
      {
        id: 'recs',
        slot: { selector: '#recs', action: 'replace' },
        variants: [
          { id: 'control' },
          { id: 'similar', recommend: { strategy: 'similar' }, html: '<li></li>' },
        ],
      },
    ]);
    await repo.save(recs, 4001);
    expect((await repo.live(4001)).recommendations?.catalogue.has('a')).toBe(true);
    // the scheduled job's repository has no KV: no model can exist, nothing is loaded
    const noKv = createConfigRepo(env.HIO_DB, 0, () => {});
    noKv.invalidate();
    expect((await noKv.live(4002)).recommendations).toBeNull();
  });
});
