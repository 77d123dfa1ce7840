// The one place that touches @kubernetes/client-node. It is loaded here, lazily, when a cluster
// command connects: `render` and the KRM function never pay for its import (~0.5 s, FACTS.md) and
// do not need it installed. Every kind goes through the generic custom-objects calls, so objects
// stay plain JSON (no model classes, no Date objects) all the way into the pure code.
import type * as K8s from '@kubernetes/client-node';
import { ClusterError, ConflictError, NotFoundError, type Cluster, type DeletePreconditions, type WatchEvent, type Watching } from './cluster.ts';
import { apiVersionOf, RESOURCES, type ClusterObject, type ResourceKind } from './resources.ts';

/** The reasons the API server's errors carry (node:http's STATUS_CODES would load the HTTP stack at every start). */
const HTTP_REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 410: 'Gone', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

export const CLIENT_PACKAGE = '@kubernetes/client-node';

export interface ConnectOptions {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or the pod's service account. */
  kubeconfig?: string;
}

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
  return new ClientNodeCluster(k8s, config, current.server);
}

class ClientNodeCluster implements Cluster {
  readonly defaultNamespace: string;
  private readonly api: K8s.CustomObjectsApi;

  constructor(
    private readonly k8s: typeof K8s,
    private readonly config: K8s.KubeConfig,
    readonly server: string,
  ) {
    this.api = config.makeApiClient(k8s.CustomObjectsApi);
    this.defaultNamespace = config.getContextObject(config.getCurrentContext())?.namespace?.trim() || 'default';
  }

  async list(kind: ResourceKind, namespace: string | undefined, labelSelector?: string): Promise<ClusterObject[]> {
    const { group, version, plural } = RESOURCES[kind];
    const selector = labelSelector ? { labelSelector } : {};
    const list = await this.call('list', kind, namespace, undefined, () =>
      namespace === undefined
        ? this.api.listClusterCustomObject({ group, version, plural, ...selector })
        : this.api.listNamespacedCustomObject({ group, version, namespace, plural, ...selector }),
    );
    const items = (list as { items?: ClusterObject[] }).items ?? [];
    // Lists of built-in kinds leave apiVersion and kind out of their items.
    return items.map((item) => ({ ...item, apiVersion: item.apiVersion ?? apiVersionOf(kind), kind: item.kind ?? kind }));
  }

  async get(kind: ResourceKind, namespace: string, name: string): Promise<ClusterObject | undefined> {
    const { group, version, plural } = RESOURCES[kind];
    try {
      const object = (await this.call('get', kind, namespace, name, () => this.api.getNamespacedCustomObject({ group, version, namespace, plural, name }))) as ClusterObject;
      return { ...object, apiVersion: object.apiVersion ?? apiVersionOf(kind), kind: object.kind ?? kind };
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async create(kind: ResourceKind, namespace: string, object: ClusterObject): Promise<ClusterObject> {
    const { group, version, plural } = RESOURCES[kind];
    return (await this.call('create', kind, namespace, object.metadata.name, () => this.api.createNamespacedCustomObject({ group, version, namespace, plural, body: object }))) as ClusterObject;
  }

  async replace(kind: ResourceKind, namespace: string, object: ClusterObject): Promise<ClusterObject> {
    const { group, version, plural } = RESOURCES[kind];
    const name = object.metadata.name;
    return (await this.call('update', kind, namespace, name, () => this.api.replaceNamespacedCustomObject({ group, version, namespace, plural, name, body: object }))) as ClusterObject;
  }

  async remove(kind: ResourceKind, namespace: string, name: string, preconditions?: DeletePreconditions): Promise<void> {
    const { group, version, plural } = RESOURCES[kind];
    const body = { propagationPolicy: 'Background', ...(preconditions ? { preconditions } : {}) };
    await this.call('delete', kind, namespace, name, () => this.api.deleteNamespacedCustomObject({ group, version, namespace, plural, name, body }));
  }

  async watch(kind: ResourceKind, namespace: string | undefined, onEvent: (type: WatchEvent, object: ClusterObject) => void, onEnd: (error?: Error) => void): Promise<Watching> {
    const { group, version, plural } = RESOURCES[kind];
    const path = `/apis/${group}/${version}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${plural}`;
    let stopped = false;
    const controller = await new this.k8s.Watch(this.config).watch(
      path,
      {},
      (type: string, object: ClusterObject) => {
        if (!stopped) onEvent(type as WatchEvent, object);
      },
      (error: unknown) => {
        if (stopped) return;
        stopped = true;
        onEnd(error ? this.translate(error, 'watch', kind, namespace, undefined) : undefined);
      },
    );
    return {
      stop: () => {
        stopped = true;
        controller.abort();
      },
    };
  }

  /** Runs one request; maps the client's errors to ours, with a message that says what failed and where. */
  private async call<T>(verb: string, kind: ResourceKind, namespace: string | undefined, name: string | undefined, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.translate(error, verb, kind, namespace, name);
    }
  }

  private translate(error: unknown, verb: string, kind: ResourceKind, namespace: string | undefined, name: string | undefined): Error {
    const { group, plural } = RESOURCES[kind];
    const what = `${plural}.${group}${name ? ` ${name}` : ''}${namespace === undefined ? ' in all namespaces' : ` in namespace ${namespace}`}`;
    const status = (error as { code?: unknown }).code;
    if (typeof status !== 'number') {
      return new ClusterError(`cannot ${verb} ${what}: the API server at ${this.server} did not answer (${(error as Error)?.message ?? String(error)}).`);
    }
    const message = statusMessage((error as { body?: unknown }).body) ?? HTTP_REASONS[status] ?? 'no reason given';
    if (status === 409) return new ConflictError(`cannot ${verb} ${what}: ${message}`);
    if (status === 404 && name !== undefined) return new NotFoundError(`cannot ${verb} ${what}: ${message}`);
    const hint = status === 404 ? missingKindHint(kind) : '';
    return new ClusterError(`cannot ${verb} ${what}: ${message} (HTTP ${status}).${hint}`, status);
  }
}

function statusMessage(body: unknown): string | undefined {
  try {
    const status = typeof body === 'string' ? JSON.parse(body) : body;
    const message = (status as { message?: unknown })?.message;
    return typeof message === 'string' && message !== '' ? message : undefined;
  } catch {
    return typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 300) : undefined;
  }
}

function missingKindHint(kind: ResourceKind): string {
  if (kind === 'RouteFragment') return ' Is the RouteFragment CustomResourceDefinition installed? kubectl apply -f manifests/routefragment-crd.yaml';
  if (kind === 'VirtualService' || kind === 'DestinationRule') return ' Is Istio (its networking.istio.io/v1 CustomResourceDefinitions) installed?';
  return '';
}
