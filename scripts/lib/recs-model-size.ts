/**
 * @module scripts/lib/recs-model-size
 * Sizes and costs of the recommendation model in its two forms, for docs/recommendations.md: the JSON
 * model (format 1, what KV held before) and the compact one (format 2, engine/recommend-model.ts), at
 * their largest (`worstCaseModel`): KV bytes, the heap an isolate keeps once the model is loaded, the
 * time to load it (parse or decode), and the time of one `recommend` call from each. Run by
 * `node scripts/recs-model-size.mjs`, which starts Node with `--expose-gc` (heap figures need it).
 */
import {
  type CatalogueItem,
  compactRecommendModel,
  decodeRecommendModel,
  encodeRecommendModel,
  indexCatalogue,
  mulberry32,
  parseRecommendModel,
  type RecommendRequest,
  type RecommendVisitor,
  recommend,
} from '../../worker/engine/index.ts';
import { worstCaseModel } from './recommend-sim.ts';

declare const gc: (() => void) | undefined;
declare const process: {
  memoryUsage(): { heapUsed: number; external: number; arrayBuffers: number };
  hrtime: { bigint(): bigint };
};

const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

function retained<T>(build: () => T): { value: T; heap: number; buffers: number } {
  if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
  gc();
  gc();
  const before = process.memoryUsage();
  const value = build();
  gc();
  gc();
  const after = process.memoryUsage();
  return { value, heap: after.heapUsed - before.heapUsed, buffers: after.arrayBuffers - before.arrayBuffers };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time(runs: number, f: () => unknown): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    f();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

export function measure(): string {
  const lines: string[] = [];
  lines.push('KV value of the largest model (ids like sku-00042, 50 categories, 50 popular items each)');
  lines.push('  catalogue      co-view  co-purchase  JSON (format 1)  compact (format 2)');
  for (const [items, k, bought] of [
    [5000, 20, 20],
    [5000, 20, 0],
    [5000, 10, 0],
    [2000, 20, 5],
    [50000, 20, 20],
  ] as const) {
    const model = worstCaseModel(items, k, bought);
    const json = new TextEncoder().encode(JSON.stringify(model)).length;
    const compact = encodeRecommendModel(model).byteLength;
    lines.push(
      `  ${`${items} items`.padEnd(13)}  ${String(k).padEnd(7)}  ${String(bought).padEnd(11)}  ${mb(json).padEnd(15)}  ${mb(compact)}`,
    );
  }

  const model = worstCaseModel(5000, 20, 20);
  const json = JSON.stringify(model);
  const bytes = encodeRecommendModel(model);
  // what an isolate keeps once the model is loaded: the input (a string or an ArrayBuffer from KV) is
  // made inside the measured window, so only what the loaded model holds on to counts
  const plain = retained(() => parseRecommendModel(JSON.parse(json.slice(1).padStart(json.length, '{'))));
  const compact = retained(() => decodeRecommendModel(bytes.slice()));
  if (!plain.value || !compact.value) throw new Error('the model did not load');
  lines.push('', 'Held in an isolate, 5,000 items × 20 co-view + 20 co-purchase neighbours');
  lines.push(
    `  JSON model (parsed objects): heap ${mb(plain.heap)}, array buffers ${mb(plain.buffers)}`,
    `  compact model (typed arrays): heap ${mb(compact.heap)}, array buffers ${mb(compact.buffers)}`,
  );

  const runs = 7;
  const parse = time(runs, () => parseRecommendModel(JSON.parse(json)));
  const decode = time(runs, () => decodeRecommendModel(bytes.slice()));
  const migrate = time(runs, () => compactRecommendModel(parseRecommendModel(JSON.parse(json))!));
  const encode = time(runs, () => encodeRecommendModel(model));
  lines.push('', `Load time, median of ${runs}`);
  lines.push(
    `  JSON.parse + parseRecommendModel (format 1, as before): ${parse.toFixed(1)} ms`,
    `  decodeRecommendModel (format 2): ${decode.toFixed(2)} ms`,
    `  a format-1 value read by this release (parse, then compact): ${migrate.toFixed(1)} ms`,
    `  encodeRecommendModel (the job, once per training): ${encode.toFixed(1)} ms`,
  );

  // one recommend call from each form: visitors with up to 10 viewed items, on the model's items
  const random = mulberry32(5);
  const ids = Object.keys(model.neighbours);
  const pick = () => ids[Math.floor(random() * ids.length)] as string;
  const catalogue: CatalogueItem[] = ids.map((id, i) => ({
    id,
    url: `/p/${id}`,
    title: id,
    category: `category-${i % 50}`,
  }));
  const index = indexCatalogue(catalogue);
  const asks: [RecommendVisitor, RecommendRequest][] = Array.from({ length: 2000 }, (_, i) => [
    { viewed: Array.from({ length: 1 + (i % 10) }, (_, r) => ({ item: pick(), at: r })), cart: [pick()] },
    {
      strategy: (['similar', 'for-you', 'bought-together', 'popular-in-interest'] as const)[i % 4]!,
      count: 4,
      exclude: 'viewed',
      item: pick(),
    },
  ]);
  const per = (m: Parameters<typeof recommend>[0]) => {
    for (const [v, r] of asks) recommend(m, index, v, r); // warm up
    const all = () => {
      for (const [v, r] of asks) recommend(m, index, v, r);
    };
    return (time(5, all) / asks.length) * 1000;
  };
  lines.push('', 'One recommend() call (similar, for-you, bought-together, popular-in-interest; count 4)');
  lines.push(
    `  from the JSON model: ${per(plain.value).toFixed(1)} µs`,
    `  from the compact model: ${per(compact.value).toFixed(1)} µs`,
  );
  return lines.join('\n');
}
