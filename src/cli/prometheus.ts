// The Prometheus edge: one instant query (GET /api/v1/query, POST when the URL would be long) with
// node's fetch and a timeout.
// It answers with a number, no value (an empty result), or a problem; it never guesses.
// The response format: prometheus.io/docs/prometheus/latest/querying/api/ (instant queries,
// "vector" and "scalar" results, sample values as strings, "NaN" and "+Inf" included).

export type QueryAnswer = { value: number | undefined } | { problem: string };

export interface QueryOptions {
  /** Evaluation instant. */
  time: Date;
  timeoutMs: number;
}

/** Query strings longer than this go in a POST body: proxies commonly refuse URLs past 8 KiB. */
const MAX_GET_QUERY = 6000;

/** Response bodies past this are refused: an instant query for one number is a few hundred bytes. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function queryPrometheus(base: URL, query: string, options: QueryOptions): Promise<QueryAnswer> {
  const url = new URL('api/v1/query', base.href.endsWith('/') ? base : new URL(`${base.href}/`));
  const params = new URLSearchParams({ query, time: (options.time.getTime() / 1000).toFixed(3) });
  // GET is what every Prometheus-compatible API answers; POST (form-encoded, as Prometheus also
  // takes it) only for a query too long for a URL.
  const long = params.toString().length > MAX_GET_QUERY;
  if (!long) url.search = params.toString();
  let response: Response;
  try {
    response = await fetch(url, {
      method: long ? 'POST' : 'GET',
      headers: long ? { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } : { accept: 'application/json' },
      ...(long ? { body: params } : {}),
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return { problem: `Prometheus at ${base.href} did not answer within ${options.timeoutMs / 1000} s (--timeout).` };
    return { problem: `Prometheus at ${base.href} is unreachable: ${e.cause?.code ?? e.cause?.message ?? e.message}.` };
  }
  let text: string;
  try {
    text = await readBounded(response);
  } catch (error) {
    return { problem: `Prometheus at ${base.href}: ${(error as Error).name === 'TimeoutError' ? `the answer did not arrive within ${options.timeoutMs / 1000} s (--timeout)` : (error as Error).message}.` };
  }
  let json: { status?: unknown; error?: unknown; errorType?: unknown; data?: { resultType?: unknown; result?: unknown } };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    return { problem: `Prometheus at ${base.href} answered HTTP ${response.status} with something that is not JSON (${JSON.stringify(text.slice(0, 80))}); is --prometheus the Prometheus server's URL?` };
  }
  if (json.status !== 'success') {
    return { problem: `Prometheus refused the query (HTTP ${response.status}${typeof json.errorType === 'string' ? `, ${json.errorType}` : ''}): ${typeof json.error === 'string' ? json.error : 'no reason given'}.` };
  }
  return valueOf(json.data);
}

async function readBounded(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_BODY_BYTES) throw new Error(`the answer is ${length} bytes, more than the ${MAX_BODY_BYTES} an instant query for one number needs`);
  const buffer = Buffer.from(await response.arrayBuffer());
  if (buffer.length > MAX_BODY_BYTES) throw new Error(`the answer is ${buffer.length} bytes, more than the ${MAX_BODY_BYTES} an instant query for one number needs`);
  return buffer.toString('utf8');
}

/** Prometheus writes sample values as strings: "1.5", "NaN", "+Inf", "-Inf". */
export function parseSampleValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value; // not Prometheus's own form, but unambiguous
  if (typeof value !== 'string') return undefined;
  if (value === '+Inf' || value === 'Inf') return Infinity;
  if (value === '-Inf') return -Infinity;
  if (value === 'NaN') return NaN;
  const n = Number(value);
  return value.trim() === '' ? undefined : n;
}

function valueOf(data: { resultType?: unknown; result?: unknown } | undefined): QueryAnswer {
  const sample = (pair: unknown): QueryAnswer => {
    const value = Array.isArray(pair) ? parseSampleValue(pair[1]) : undefined;
    return value === undefined ? { problem: `Prometheus answered a sample without a value (${JSON.stringify(pair)}).` } : { value };
  };
  if (data?.resultType === 'scalar') return sample(data.result);
  if (data?.resultType !== 'vector' || !Array.isArray(data.result)) {
    return { problem: `the query must give one number (an instant vector or a scalar), not ${typeof data?.resultType === 'string' ? `a ${data.resultType}` : 'this answer'}; wrap it in sum(...) or drop the range [..] at its end.` };
  }
  if (data.result.length === 0) return { value: undefined };
  if (data.result.length > 1) {
    const labels = (data.result as { metric?: Record<string, string> }[]).slice(0, 2).map((r) => JSON.stringify(r.metric ?? {}));
    return { problem: `the query gives ${data.result.length} series (${labels.join(', ')}, ...), not one; aggregate it, such as sum(...).` };
  }
  return sample((data.result[0] as { value?: unknown }).value);
}
