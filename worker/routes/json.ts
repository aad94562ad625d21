/**
 * @module json
 * Responses of HIO's own routes: always JSON (errors as `{ "error": "..." }`), never cached, never
 * sniffed; and reading a request body as strict UTF-8 (its size is capped by Hono's `bodyLimit`).
 */
export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set('content-type', 'application/json; charset=utf-8');
  h.set('cache-control', 'no-store');
  h.set('x-content-type-options', 'nosniff');
  return new Response(JSON.stringify(body), { status, headers: h });
}

export function jsonError(
  status: number,
  error: string,
  extra?: Record<string, unknown>,
  headers?: HeadersInit,
): Response {
  return json({ error, ...extra }, status, headers);
}

/** The body as text, or null when it is not valid UTF-8. */
export async function readUtf8(req: Request): Promise<string | null> {
  const bytes = await req.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

/** The body parsed as JSON, or the 400 to answer (not UTF-8, not JSON). */
export async function readJsonBody(
  req: Request,
): Promise<{ ok: true; body: unknown } | { ok: false; error: Response }> {
  const text = await readUtf8(req);
  if (text === null) return { ok: false, error: jsonError(400, 'body is not valid UTF-8') };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: jsonError(400, 'body is not valid JSON') };
  }
}

/**
 * An admin document's body (the campaign document, the catalogue): JSON by content type (415 otherwise),
 * strict UTF-8, parsed; a parse error is reported as the document's first problem.
 */
export async function readJsonDocument(
  req: Request,
  what: string,
  root: string,
): Promise<{ ok: true; body: unknown } | { ok: false; error: Response }> {
  const type = (req.headers.get('content-type') ?? 'application/json').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    return { ok: false, error: jsonError(415, 'content-type must be application/json') };
  const text = await readUtf8(req);
  if (text === null) return { ok: false, error: jsonError(400, 'body is not valid UTF-8') };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch (err) {
    return {
      ok: false,
      error: jsonError(400, `invalid ${what}`, {
        problems: [`(${root}): not valid JSON (${err instanceof Error ? err.message : 'parse error'})`],
      }),
    };
  }
}
