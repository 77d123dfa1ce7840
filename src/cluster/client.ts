// The one place that touches @kubernetes/client-node. It is loaded here, lazily, when a cluster
// command connects: `render` and the KRM function never pay for its import (~0.5 s, FACTS.md) and
// do not need it installed. Every kind goes through the generic custom-objects calls, so objects
// stay plain JSON (no model classes, no Date objects) all the way into the pure code.
import type * as K8s from '@kubernetes/client-node';
import { sleep } from './backoff.ts';
import { ClusterError, ConflictError, FIELD_MANAGER, FieldConflictError, NotFoundError, type Cluster, type DeletePreconditions, type WatchEvent, type Watching, type WriteOptions } from './cluster.ts';
import { apiVersionOf, RESOURCES, type ClusterObject, type ResourceKind } from './resources.ts';

/** The reasons the API server's errors carry (node:http's STATUS_CODES would load the HTTP stack at every start). */
const HTTP_REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 410: 'Gone', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

export const CLIENT_PACKAGE = '@kubernetes/client-node';

export interface ConnectOptions {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or the pod's service account. */
  kubeconfig?: string;
  /** Every request is abandoned after this long (client-node sets no timeout of its own). Default 30 s. */
  requestTimeoutMs?: number;
  /** A 429 is retried this many times, after the server's Retry-After (at most maxRetryAfterMs). Default 3. */
  maxThrottleRetries?: number;
  /** The longest Retry-After honoured; a longer one is cut to this. Default 10 s. */
  maxRetryAfterMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Loads the client library; says how to install it when it is missing (it is an optional peer dependency). */
export async function loadClientLibrary(): Promise<typeof K8s> {
  try {
    return await import('@kubernetes/client-node');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(`'${CLIENT_PACKAGE}'`)) {
      throw new ClusterError(
        `cluster mode needs the package ${CLIENT_PACKAGE} 1.x, which is not installed; run npm install ${CLIENT_PACKAGE}@1 where switchyard is installed (render and the KRM function do not need it).`,
      );
    }
    throw error;
  }
}

export async function connect(options: ConnectOptions = {}): Promise<Cluster> {
  const k8s = await loadClientLibrary();
  const config = new k8s.KubeConfig();
  try {
    if (options.kubeconfig !== undefined) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
  } catch (error) {
    throw new ClusterError(`cannot read the kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${(error as Error).message}`);
  }
  const current = config.getCurrentCluster();
  if (!current) throw new ClusterError(`the kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''} has no current context with a cluster; choose one with kubectl config use-context.`);
  return new ClientNodeCluster(k8s, config, current.server, {
    timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxThrottleRetries: options.maxThrottleRetries ?? 3,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 10_000,
  });
}

interface Limits {
  timeoutMs: number;
  maxThrottleRetries: number;
  maxRetryAfterMs: number;
}

/** What a request may be given: client-node's per-call configuration (its middleware), built per attempt. */
type CallOptions = K8s.ConfigurationOptions;

class ClientNodeCluster implements Cluster {
  readonly defaultNamespace: string;
  private readonly api: K8s.CustomObjectsApi;

  constructor(
    private readonly k8s: typeof K8s,
    private readonly config: K8s.KubeConfig,
    readonly server: string,
    private readonly limits: Limits,
  ) {
    this.api = config.makeApiClient(k8s.CustomObjectsApi);
    this.defaultNamespace = config.getContextObject(config.getCurrentContext())?.namespace?.trim() || 'default';
  }

  async list(kind: ResourceKind, namespace: string | undefined, labelSelector?: string): Promise<ClusterObject[]> {
    const { group, version, plural } = RESOURCES[kind];
    const selector = labelSelector ? { labelSelector } : {};
    const list = await this.call('list', kind, namespace, undefined, (o) =>
      namespace === undefined
        ? this.api.listClusterCustomObject({ group, version, plural, ...selector }, o)
        : this.api.listNamespacedCustomObject({ group, version, namespace, plural, ...selector }, o),
    );
    const items = (list as { items?: ClusterObject[] }).items ?? [];
    // Lists of built-in kinds leave apiVersion and kind out of their items.
    return items.map((item) => ({ ...item, apiVersion: item.apiVersion ?? apiVersionOf(kind), kind: item.kind ?? kind }));
  }

  async get(kind: ResourceKind, namespace: string, name: string): Promise<ClusterObject | undefined> {
    const { group, version, plural } = RESOURCES[kind];
    try {
      const object = (await this.call('get', kind, namespace, name, (o) => this.api.getNamespacedCustomObject({ group, version, namespace, plural, name }, o))) as ClusterObject;
      return { ...object, apiVersion: object.apiVersion ?? apiVersionOf(kind), kind: object.kind ?? kind };
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async create(kind: ResourceKind, namespace: string, object: ClusterObject, options: WriteOptions = {}): Promise<ClusterObject> {
    const { group, version, plural } = RESOURCES[kind];
    return (await this.call('create', kind, namespace, object.metadata.name, (o) =>
      this.api.createNamespacedCustomObject({ group, version, namespace, plural, body: object, fieldManager: FIELD_MANAGER, ...(options.dryRun ? { dryRun: 'All' } : {}) }, o),
    )) as ClusterObject;
  }

  async replace(kind: ResourceKind, namespace: string, object: ClusterObject): Promise<ClusterObject> {
    const { group, version, plural } = RESOURCES[kind];
    const name = object.metadata.name;
    return (await this.call('update', kind, namespace, name, (o) =>
      this.api.replaceNamespacedCustomObject({ group, version, namespace, plural, name, body: object, fieldManager: FIELD_MANAGER }, o),
    )) as ClusterObject;
  }

  async apply(kind: ResourceKind, namespace: string, object: ClusterObject, options: WriteOptions = {}): Promise<ClusterObject> {
    const { group, version, plural } = RESOURCES[kind];
    const name = object.metadata.name;
    // client-node's patch picks the JSON patch content type; server-side apply is the same PATCH
    // with Content-Type application/apply-patch+yaml (JSON is YAML), set by a middleware.
    const result = (await this.call(
      'apply',
      kind,
      namespace,
      name,
      (o) => this.api.patchNamespacedCustomObject({ group, version, namespace, plural, name, body: object, fieldManager: FIELD_MANAGER, ...(options.dryRun ? { dryRun: 'All' } : {}), ...(options.force ? { force: true } : {}) }, o),
      { 'Content-Type': 'application/apply-patch+yaml' },
    )) as ClusterObject;
    return { ...result, apiVersion: result.apiVersion ?? apiVersionOf(kind), kind: result.kind ?? kind };
  }

  async remove(kind: ResourceKind, namespace: string, name: string, preconditions?: DeletePreconditions, options: WriteOptions = {}): Promise<void> {
    const { group, version, plural } = RESOURCES[kind];
    const body = { propagationPolicy: 'Background', ...(preconditions ? { preconditions } : {}), ...(options.dryRun ? { dryRun: ['All'] } : {}) };
    await this.call('delete', kind, namespace, name, (o) => this.api.deleteNamespacedCustomObject({ group, version, namespace, plural, name, body, ...(options.dryRun ? { dryRun: 'All' } : {}) }, o));
  }

  async watch(kind: ResourceKind, namespace: string | undefined, onEvent: (type: WatchEvent, object: ClusterObject) => void, onEnd: (error?: Error) => void): Promise<Watching> {
    const { group, version, plural } = RESOURCES[kind];
    const path = `/apis/${group}/${version}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${plural}`;
    let stopped = false;
    // Like client-go's reflector: the server ends each watch after 5 to 10 minutes, so a connection
    // that died silently is replaced, and the controller lists everything again.
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    const opening = new this.k8s.Watch(this.config).watch(
      path,
      { timeoutSeconds },
      (type: string, object: ClusterObject) => {
        if (!stopped) onEvent(type as WatchEvent, object);
      },
      (error: unknown) => {
        if (stopped) return;
        stopped = true;
        onEnd(error ? this.translate(error, 'watch', kind, namespace, undefined) : undefined);
      },
    );
    // client-node's watch waits for the response headers with no timeout: bound it like any request.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.limits.timeoutMs)));
    const first = await Promise.race([opening, timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') {
      stopped = true;
      void opening.then((c) => c.abort(), () => undefined);
      throw new ClusterError(`cannot watch ${this.what(kind, namespace, undefined)}: the API server at ${this.server} did not answer within ${this.limits.timeoutMs / 1000} s.`);
    }
    return {
      stop: () => {
        stopped = true;
        first.abort();
      },
    };
  }

  /**
   * Runs one request, abandoned after the request timeout; a 429 is retried after its Retry-After
   * (bounded); the client's errors become ours, with a message that says what failed and where.
   */
  private async call<T>(verb: string, kind: ResourceKind, namespace: string | undefined, name: string | undefined, request: (options: CallOptions) => Promise<T>, headers: Record<string, string> = {}): Promise<T> {
    for (let throttled = 0; ; throttled++) {
      const signal = AbortSignal.timeout(this.limits.timeoutMs);
      // An observable middleware (what client-node's object API runs): it only needs toPromise().
      const middleware = {
        pre: (context: K8s.RequestContext) => {
          context.setSignal(signal);
          for (const [key, value] of Object.entries(headers)) context.setHeaderParam(key, value);
          return { toPromise: () => Promise.resolve(context) };
        },
        post: (response: unknown) => ({ toPromise: () => Promise.resolve(response) }),
      };
      try {
        return await request({ middleware: [middleware], middlewareMergeStrategy: 'append' } as unknown as CallOptions);
      } catch (error) {
        const translated = this.translate(error, verb, kind, namespace, name, signal.aborted);
        if (translated instanceof ClusterError && translated.status === 429 && throttled < this.limits.maxThrottleRetries) {
          await sleep(Math.min(this.limits.maxRetryAfterMs, retryAfterMs(error) ?? 1_000 * 2 ** throttled));
          continue;
        }
        throw translated;
      }
    }
  }

  private what(kind: ResourceKind, namespace: string | undefined, name: string | undefined): string {
    const { group, plural } = RESOURCES[kind];
    return `${plural}.${group}${name ? ` ${name}` : ''}${namespace === undefined ? ' in all namespaces' : ` in namespace ${namespace}`}`;
  }

  private translate(error: unknown, verb: string, kind: ResourceKind, namespace: string | undefined, name: string | undefined, timedOut = false): Error {
    const what = this.what(kind, namespace, name);
    // ApiException carries `code`; client-node's Watch sets `statusCode` on the Error it gives done().
    const code = (error as { code?: unknown }).code;
    const status = typeof code === 'number' ? code : (error as { statusCode?: unknown }).statusCode;
    if (typeof status !== 'number') {
      if (timedOut) return new ClusterError(`cannot ${verb} ${what}: the API server at ${this.server} did not answer within ${this.limits.timeoutMs / 1000} s.`);
      return new ClusterError(`cannot ${verb} ${what}: the API server at ${this.server} did not answer (${(error as Error)?.message ?? String(error)}).`);
    }
    const body = parseStatus((error as { body?: unknown }).body);
    const serverMessage = body?.message ?? (error as Error).message?.split('\n')[0];
    const message = body?.message ?? HTTP_REASONS[status] ?? 'no reason given';
    if (status === 409 && verb === 'apply' && body?.causes?.some((c) => c.reason === 'FieldManagerConflict')) {
      const managers = [...new Set((body.causes ?? []).flatMap((c) => [...(c.message ?? '').matchAll(/conflict with "([^"]+)"/g)].map((m) => m[1]!)))];
      return new FieldConflictError(`cannot apply ${what}: ${message}`, message, managers);
    }
    if (status === 409) return new ConflictError(`cannot ${verb} ${what}: ${message}`);
    if (status === 404 && name !== undefined) return new NotFoundError(`cannot ${verb} ${what}: ${message}`);
    const hint = status === 404 ? missingKindHint(kind) : status === 403 ? ' Grant it in the Role or ClusterRole of the ServiceAccount (manifests/).' : '';
    return new ClusterError(`cannot ${verb} ${what}: ${message} (HTTP ${status}).${hint}`, status, serverMessage);
  }
}

interface StatusBody {
  message?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
}

function parseStatus(body: unknown): StatusBody | undefined {
  let status: unknown = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return body.trim() !== '' ? { message: body.trim().slice(0, 300) } : undefined;
    }
  }
  if (status === null || typeof status !== 'object') return undefined;
  const { message, details } = status as { message?: unknown; details?: { causes?: unknown } };
  const causes = Array.isArray(details?.causes) ? (details.causes as StatusBody['causes']) : undefined;
  return { ...(typeof message === 'string' && message !== '' ? { message } : {}), ...(causes ? { causes } : {}) };
}

/** Retry-After in seconds (what kube-apiserver sends with a 429), as milliseconds. */
function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { headers?: Record<string, string> }).headers ?? {};
  const value = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function missingKindHint(kind: ResourceKind): string {
  if (kind === 'RouteFragment') return ' Is the RouteFragment CustomResourceDefinition installed? kubectl apply -f manifests/routefragment-crd.yaml';
  if (kind === 'VirtualService' || kind === 'DestinationRule') return ' Is Istio (its networking.istio.io/v1 CustomResourceDefinitions) installed?';
  return '';
}
