// An in-process Kubernetes API server for tests: the part of the API that cluster mode uses, served
// over HTTPS on 127.0.0.1 (random port) so that tests drive the REAL @kubernetes/client-node HTTP
// stack (kubeconfig, TLS with a CA, bearer token, node-fetch, its watch reader).
//
// Implemented, the way kube-apiserver behaves:
//   - list (all namespaces or one, labelSelector k=v[,k=v]), get, create, update (PUT), JSON merge
//     patch, delete, watch (from a resourceVersion, or from now with synthetic ADDED events);
//   - one resourceVersion counter for every object, like etcd's revision; list responses carry it;
//   - 409 Conflict on update/patch/delete with a stale resourceVersion or uid precondition, 409
//     AlreadyExists on create, 404 NotFound, 400 on a mismatched apiVersion/kind/namespace/name;
//   - the garbage collector, in the background after the delete returns: an object whose
//     ownerReferences all name objects that no longer exist (by uid) is deleted, dangling references
//     next to a live owner are dropped; propagationPolicy Orphan removes the references instead;
//   - status kept across updates (as with a status subresource), generation bumped on spec changes;
//   - optional authorization (RBAC rules) with 403 Forbidden, and a log of every request;
//   - server-side apply (PATCH application/apply-patch+yaml, fieldManager required, `force`) with
//     managedFields: a field owned by another manager whose value would change is a 409 whose
//     details.causes have reason FieldManagerConflict and the message kube-apiserver writes
//     ("conflict with \"argocd-controller\" using networking.istio.io/v1"); fields the applier
//     owned and no longer sends are removed; lists are atomic (Istio's CRDs declare no list type).
//     Create, update and merge patch take ownership of the fields they change (operation Update,
//     manager from ?fieldManager, else "node-fetch", the User-Agent client-node sends). Ownership
//     is tracked per top-level spec field and per label and annotation key: coarser than
//     structured-merge-diff, the same for atomic lists (docs: "Server-Side Apply", kubernetes.io);
//   - a write that changes nothing keeps the resourceVersion and sends no event (as etcd3's
//     GuaranteedUpdate does when the encoded object is unchanged);
//   - PUT without metadata.resourceVersion is refused for custom resources (422, "must be
//     specified for an update"), as apiextensions-apiserver does; built-in kinds allow it;
//   - dryRun=All: every check runs (the webhook too), nothing is stored;
//   - NamespaceLifecycle (option): writes into a namespace that does not exist are 404, into one
//     being deleted 403 ("unable to create new content in namespace X because it is being terminated");
//   - a validating admission webhook (option) that refuses an object: 400 with
//     `admission webhook "validation.istio.io" denied the request: ...`;
//   - faults (options): requests that never answer, injected 429 with Retry-After and 500, and
//     endWatches() for watches the server closes.
// Not implemented: CRD schema validation and pruning, finalizers and foreground deletion, field
// and label selectors beyond equality, strategic merge patch, watch bookmarks and 410 Gone (the
// whole history is kept), pagination, discovery.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** Built-in kinds: list items come without apiVersion and kind, like the real server sends them. */
  builtin: boolean;
}

const TYPES: ResourceType[] = [
  { group: 'switchyard.dev', version: 'v1alpha1', plural: 'routefragments', kind: 'RouteFragment', builtin: false },
  { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices', kind: 'VirtualService', builtin: false },
  { group: 'networking.istio.io', version: 'v1', plural: 'destinationrules', kind: 'DestinationRule', builtin: false },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', builtin: true },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', builtin: true },
];

export interface RequestAttributes {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  /** For a patch: whether it is a server-side apply. */
  apply?: boolean;
  dryRun?: boolean;
  fieldManager?: string;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
}

export interface StoredEvent {
  resourceVersion: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  plural: string;
  object: Obj;
}

export interface FakeApiServerOptions {
  /** Delay before each request is served (random delays interleave concurrent clients). */
  latencyMs?: () => number;
  /** RBAC: false answers 403. */
  authorize?: (request: RequestAttributes) => boolean;
  /** How long after a delete the garbage collector runs. Default 5 ms. */
  gcDelayMs?: number;
  /** Resources (plurals) whose CustomResourceDefinition is not installed: 404 for every call. */
  uninstalled?: string[];
  /** A request this says true for is never answered (until the server stops): a hung API server. */
  hang?: (request: RequestAttributes) => boolean;
  /** An answer instead of serving the request: an injected 429 (with Retry-After seconds) or 500. */
  fault?: (request: RequestAttributes) => { code: number; message: string; retryAfterSeconds?: number } | undefined;
  /** A validating admission webhook: a message refuses the object (create, update, patch, apply; dry runs too). */
  webhook?: (request: RequestAttributes, object: Obj) => string | undefined;
  /** NamespaceLifecycle: only namespaces created with createNamespace() accept writes. Default false (any namespace). */
  namespaceLifecycle?: boolean;
  /** Plain HTTP (kubeconfig with insecure-skip-tls-verify) instead of HTTPS with a CA: client-node opens a new connection per request, and the TLS handshakes dominate long concurrency runs. Default false. */
  plainHttp?: boolean;
}

type Hook = (request: RequestAttributes) => void | Promise<void>;

const FIXTURES = join(import.meta.dirname, 'fixtures');
const TOKEN = 'fake-token-for-tests';

export class FakeApiServer {
  readonly requests: RequestAttributes[] = [];
  readonly history: StoredEvent[] = [];
  private readonly store = new Map<string, Obj>();
  private revision = 0;
  private readonly watchers = new Set<{ plural: string; namespace?: string; send: (event: StoredEvent) => void; end: () => void; error: (status: object) => void }>();
  private readonly hooks: Hook[] = [];
  private gcTimer: NodeJS.Timeout | undefined;
  private readonly namespaces = new Map<string, 'Active' | 'Terminating'>();
  private readonly hung = new Set<ServerResponse>();
  private paused = false;
  private stopped = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly kubeconfig: string,
    private readonly options: FakeApiServerOptions,
  ) {}

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const cert = readFileSync(join(FIXTURES, 'fake-api-server.crt'));
    const key = readFileSync(join(FIXTURES, 'fake-api-server.key'));
    let self: FakeApiServer | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => void self!.handle(req, res);
    const server: Server = options.plainHttp ? createHttpServer(handler) : createHttpsServer({ cert, key }, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `${options.plainHttp ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-fake-api-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: options.plainHttp ? { server: url, 'insecure-skip-tls-verify': true } : { server: url, 'certificate-authority-data': cert.toString('base64') } }],
        users: [{ name: 'tester', user: { token: TOKEN } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'tester', namespace: 'shop' } }],
        'current-context': 'fake',
      }),
    );
    self = new FakeApiServer(server, url, kubeconfig, options);
    return self;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.gcTimer);
    for (const res of this.hung) res.destroy();
    for (const w of this.watchers) w.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Runs before a request is served (after its latency): lets a test write concurrently at a precise moment. */
  onRequest(hook: Hook): void {
    this.hooks.push(hook);
  }

  /**
   * While true, the garbage collector waits (a test can order events around it); collectGarbage()
   * runs it. Pausing also cancels a pass already scheduled by an earlier write, and the timer checks
   * the pause again when it fires: a pass started before the pause can never run during it.
   */
  get gcPaused(): boolean {
    return this.paused;
  }

  set gcPaused(paused: boolean) {
    this.paused = paused;
    if (paused) {
      clearTimeout(this.gcTimer);
      this.gcTimer = undefined;
    }
  }

  /** NamespaceLifecycle: a namespace that accepts writes. */
  createNamespace(name: string): void {
    this.namespaces.set(name, 'Active');
  }

  /** NamespaceLifecycle: the namespace is being deleted; new objects are refused in it. */
  terminateNamespace(name: string): void {
    this.namespaces.set(name, 'Terminating');
  }

  // ---- direct access, for seeding and assertions (no HTTP) ----

  list(plural: string, namespace?: string): Obj[] {
    return [...this.store.entries()]
      .filter(([key]) => key.startsWith(`${plural}/${namespace === undefined ? '' : `${namespace}/`}`))
      .map(([, o]) => structuredClone(o))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  get(plural: string, namespace: string, name: string): Obj | undefined {
    const o = this.store.get(`${plural}/${namespace}/${name}`);
    return o && structuredClone(o);
  }

  /** Creates or replaces an object as if a client had written it (bumps resourceVersion, records an event). */
  put(plural: string, object: Obj): Obj {
    const type = this.typeOf(plural);
    const namespace = object.metadata.namespace!;
    const existing = this.store.get(`${plural}/${namespace}/${object.metadata.name}`);
    return this.write(type, namespace, { apiVersion: `${type.group ? `${type.group}/` : ''}${type.version}`, kind: type.kind, ...structuredClone(object) }, existing);
  }

  /** Deletes as a client would (the garbage collector follows). */
  delete(plural: string, namespace: string, name: string): void {
    const existing = this.store.get(`${plural}/${namespace}/${name}`);
    if (existing) this.erase(this.typeOf(plural), existing, 'Background');
  }

  get resourceVersion(): number {
    return this.revision;
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = await readBody(req);
      const latency = this.options.latencyMs?.() ?? 0;
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      if (this.stopped) return void res.destroy();
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      const url = new URL(req.url ?? '/', this.url);
      const route = parsePath(url.pathname);
      if (!route) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      const type = TYPES.find((t) => t.group === route.group && t.version === route.version && t.plural === route.plural);
      if (!type || this.options.uninstalled?.includes(type.plural)) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      const watch = url.searchParams.get('watch');
      const verb = verbOf(req.method ?? 'GET', route.name !== undefined, watch === 'true' || watch === '1');
      if (!verb) return send(res, 405, status(405, 'MethodNotAllowed', `method ${req.method} is not allowed`));
      const contentType = req.headers['content-type'] ?? '';
      const fieldManager = url.searchParams.get('fieldManager') ?? undefined;
      const attrs: RequestAttributes = {
        verb,
        group: type.group,
        resource: type.plural,
        ...(route.namespace ? { namespace: route.namespace } : {}),
        ...(route.name ? { name: route.name } : {}),
        ...(verb === 'patch' && contentType.startsWith('application/apply-patch') ? { apply: true } : {}),
        ...(url.searchParams.get('dryRun') === 'All' ? { dryRun: true } : {}),
        ...(fieldManager ? { fieldManager } : {}),
      };
      this.requests.push(attrs);
      if (this.options.hang?.(attrs)) {
        this.hung.add(res);
        res.on('close', () => this.hung.delete(res));
        return;
      }
      const fault = this.options.fault?.(attrs);
      if (fault) {
        const reason = fault.code === 429 ? 'TooManyRequests' : 'InternalError';
        const text = JSON.stringify(status(fault.code, reason, fault.message));
        res.writeHead(fault.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}) });
        return void res.end(text);
      }
      if (this.options.authorize && !this.options.authorize(attrs)) {
        const scope = route.namespace ? ` in the namespace "${route.namespace}"` : ' at the cluster scope';
        return send(res, 403, status(403, 'Forbidden', `${type.plural}.${type.group}${route.name ? ` "${route.name}"` : ''} is forbidden: User "system:serviceaccount:test:switchyard" cannot ${verb} resource "${type.plural}" in API group "${type.group}"${scope}`));
      }
      for (const hook of this.hooks) await hook(attrs);
      if (route.namespace === undefined && verb !== 'list' && verb !== 'watch') return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      const writing = verb === 'create' || verb === 'update' || verb === 'patch';
      if (writing && this.options.namespaceLifecycle) {
        const phase = this.namespaces.get(route.namespace!);
        if (!phase) return send(res, 404, status(404, 'NotFound', `namespaces "${route.namespace}" not found`));
        if (phase === 'Terminating' && (verb === 'create' || attrs.apply) && !this.store.has(key(type, route.namespace!, route.name ?? ''))) {
          return send(res, 403, status(403, 'Forbidden', `${type.plural}.${type.group} "${route.name ?? JSON.parse(body || '{}').metadata?.name}" is forbidden: unable to create new content in namespace ${route.namespace} because it is being terminated`));
        }
      }
      if (writing && this.options.webhook) {
        const refused = this.options.webhook(attrs, JSON.parse(body) as Obj);
        if (refused) return send(res, 400, status(400, 'BadRequest', `admission webhook "validation.istio.io" denied the request: ${refused}`));
      }
      switch (verb) {
        case 'list':
          return send(res, 200, this.listResponse(type, route.namespace, url.searchParams.get('labelSelector')));
        case 'watch':
          return this.serveWatch(type, route.namespace, url.searchParams.get('resourceVersion'), req, res);
        case 'get': {
          const o = this.store.get(key(type, route.namespace!, route.name!));
          return o ? send(res, 200, o) : send(res, 404, notFound(type, route.name!));
        }
        case 'create':
          return this.serveCreate(type, route.namespace!, JSON.parse(body), attrs, res);
        case 'update':
          return this.serveUpdate(type, route.namespace!, route.name!, JSON.parse(body), attrs, res);
        case 'patch':
          if (attrs.apply) return this.serveApply(type, route.namespace!, route.name!, JSON.parse(body), attrs, url.searchParams.get('force') === 'true', res);
          return this.servePatch(type, route.namespace!, route.name!, contentType, JSON.parse(body), attrs, res);
        case 'delete':
          return this.serveDelete(type, route.namespace!, route.name!, body ? JSON.parse(body) : {}, attrs, res);
      }
    } catch (error) {
      send(res, 500, status(500, 'InternalError', `fake API server: ${(error as Error).stack}`));
    }
  }

  private listResponse(type: ResourceType, namespace: string | undefined, selector: string | null): object {
    const wanted = (selector ?? '')
      .split(',')
      .filter(Boolean)
      .map((term) => term.split('=') as [string, string]);
    const items = this.list(type.plural, namespace)
      .filter((o) => wanted.every(([k, v]) => o.metadata.labels?.[k] === v))
      .map((o) => {
        if (!type.builtin) return o;
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return rest;
      });
    return { apiVersion: `${type.group}/${type.version}`, kind: `${type.kind}List`, metadata: { resourceVersion: String(this.revision) }, items };
  }

  private serveCreate(type: ResourceType, namespace: string, body: Obj, attrs: RequestAttributes, res: ServerResponse): void {
    const problem = this.checkBody(type, namespace, body);
    if (problem) return send(res, 400, status(400, 'BadRequest', problem));
    if (this.store.has(key(type, namespace, body.metadata.name))) {
      return send(res, 409, status(409, 'AlreadyExists', `${type.plural}.${type.group} "${body.metadata.name}" already exists`));
    }
    const { resourceVersion: _rv, uid: _uid, managedFields: _mf, ...meta } = body.metadata;
    const object = { ...body, metadata: { ...meta, name: body.metadata.name } };
    const managed = takeOwnership([], undefined, object, attrs.fieldManager ?? DEFAULT_MANAGER, `${type.group}/${type.version}`);
    send(res, 201, this.write(type, namespace, { ...object, metadata: { ...object.metadata, managedFields: managed } }, undefined, attrs.dryRun));
  }

  private serveUpdate(type: ResourceType, namespace: string, name: string, body: Obj, attrs: RequestAttributes, res: ServerResponse): void {
    const problem = this.checkBody(type, namespace, body) ?? (body.metadata.name !== name ? `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})` : undefined);
    if (problem) return send(res, 400, status(400, 'BadRequest', problem));
    const existing = this.store.get(key(type, namespace, name));
    if (!existing) return send(res, 404, notFound(type, name));
    if (!type.builtin && body.metadata.resourceVersion === undefined) {
      return send(res, 422, status(422, 'Invalid', `${type.kind}.${type.group} "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`));
    }
    if (body.metadata.resourceVersion !== undefined && body.metadata.resourceVersion !== existing.metadata.resourceVersion) return send(res, 409, conflict(type, name));
    if (body.metadata.uid !== undefined && body.metadata.uid !== existing.metadata.uid) return send(res, 409, conflict(type, name));
    const managed = takeOwnership(managedOf(existing), existing, body, attrs.fieldManager ?? DEFAULT_MANAGER, `${type.group}/${type.version}`);
    send(res, 200, this.write(type, namespace, { ...body, metadata: { ...body.metadata, managedFields: managed } }, existing, attrs.dryRun));
  }

  private servePatch(type: ResourceType, namespace: string, name: string, contentType: string, patch: Obj, attrs: RequestAttributes, res: ServerResponse): void {
    if (!contentType.startsWith('application/merge-patch+json')) return send(res, 415, status(415, 'UnsupportedMediaType', `the fake API server supports merge patches and server-side apply only, not ${contentType}`));
    const existing = this.store.get(key(type, namespace, name));
    if (!existing) return send(res, 404, notFound(type, name));
    const wantedVersion = (patch.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (wantedVersion !== undefined && wantedVersion !== existing.metadata.resourceVersion) return send(res, 409, conflict(type, name));
    const next = mergePatch(structuredClone(existing), patch) as Obj;
    next.metadata.managedFields = takeOwnership(managedOf(existing), existing, next, attrs.fieldManager ?? DEFAULT_MANAGER, `${type.group}/${type.version}`);
    send(res, 200, this.write(type, namespace, next, existing, attrs.dryRun));
  }

  /** Server-side apply, as kube-apiserver does it (coarser ownership: see the header). */
  private serveApply(type: ResourceType, namespace: string, name: string, body: Obj, attrs: RequestAttributes, force: boolean, res: ServerResponse): void {
    if (!attrs.fieldManager) return send(res, 400, status(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'));
    const problem = this.checkBody(type, namespace, body) ?? (body.metadata.name !== name ? `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})` : undefined);
    if (problem) return send(res, 400, status(400, 'BadRequest', problem));
    const existing = this.store.get(key(type, namespace, name));
    const wantedVersion = body.metadata.resourceVersion;
    if (wantedVersion !== undefined && (!existing || wantedVersion !== existing.metadata.resourceVersion)) return send(res, 409, conflict(type, name));
    const apiVersion = `${type.group}/${type.version}`;
    const managed = existing ? managedOf(existing) : [];
    const applied = fieldsOf(body);
    const before = existing ? fieldsOf(existing) : new Map<string, string>();
    // Conflicts: a field another manager owns whose value this apply would change.
    const conflicts: { manager: string; field: string }[] = [];
    for (const entry of managed) {
      if (entry.manager === attrs.fieldManager && entry.operation === 'Apply') continue;
      for (const field of ownedPaths(entry)) {
        if (applied.has(field) && applied.get(field) !== before.get(field)) conflicts.push({ manager: entry.manager, field });
      }
    }
    if (conflicts.length > 0 && !force) {
      const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${apiVersion}`, field: fieldLabel(c.field) }));
      const message = `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${causes.map((c) => `${c.message}: ${c.field}`).join('; ')}`;
      return send(res, 409, { ...status(409, 'Conflict', message), details: { name, group: type.group, kind: type.plural, causes } });
    }
    // The new object: the existing one, minus what this manager owned alone and no longer sends, plus what it sends.
    const mine = managed.find((e) => e.manager === attrs.fieldManager && e.operation === 'Apply');
    const others = new Set(managed.filter((e) => e !== mine).flatMap((e) => ownedPaths(e)));
    const next: Obj = structuredClone(existing ?? { apiVersion, kind: type.kind, metadata: { name, namespace } });
    for (const field of mine ? ownedPaths(mine) : []) if (!applied.has(field) && !others.has(field)) removeField(next, field);
    for (const field of applied.keys()) setField(next, field, getField(body, field));
    // Ownership: the applier owns what it sent; with force, others lose those fields.
    const rest = managed
      .filter((e) => e !== mine)
      .map((e) => (force ? withoutPaths(e, applied) : e))
      .filter((e) => ownedPaths(e).length > 0);
    next.metadata.managedFields = [...rest, managedEntry(attrs.fieldManager, 'Apply', apiVersion, [...applied.keys()])];
    const code = existing ? 200 : 201;
    send(res, code, this.write(type, namespace, next, existing, attrs.dryRun));
  }

  private serveDelete(type: ResourceType, namespace: string, name: string, options: { preconditions?: { resourceVersion?: string; uid?: string }; propagationPolicy?: string; dryRun?: string[] }, attrs: RequestAttributes, res: ServerResponse): void {
    const existing = this.store.get(key(type, namespace, name));
    if (!existing) return send(res, 404, notFound(type, name));
    const pre = options.preconditions ?? {};
    if ((pre.resourceVersion !== undefined && pre.resourceVersion !== existing.metadata.resourceVersion) || (pre.uid !== undefined && pre.uid !== existing.metadata.uid)) {
      return send(res, 409, status(409, 'Conflict', `Operation cannot be fulfilled on ${type.plural}.${type.group} "${name}": Precondition failed: ${JSON.stringify(pre)}`));
    }
    if (!attrs.dryRun && !options.dryRun?.includes('All')) this.erase(type, existing, options.propagationPolicy ?? 'Background');
    send(res, 200, status(200, '', '', 'Success'));
  }

  private serveWatch(type: ResourceType, namespace: string | undefined, from: string | null, req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders(); // like kube-apiserver: the client sees the watch open before the first event
    const matches = (e: StoredEvent) => e.plural === type.plural && (namespace === undefined || e.object.metadata.namespace === namespace);
    const write = (e: StoredEvent) => res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    if (from && from !== '0') {
      for (const e of this.history) if (e.resourceVersion > Number(from) && matches(e)) write(e);
    } else {
      for (const o of this.list(type.plural, namespace)) write({ resourceVersion: Number(o.metadata.resourceVersion), type: 'ADDED', plural: type.plural, object: o });
    }
    const watcher = {
      plural: type.plural,
      ...(namespace ? { namespace } : {}),
      send: (e: StoredEvent) => {
        if (matches(e)) write(e);
      },
      end: () => res.end(),
      error: (body: object) => {
        res.write(`${JSON.stringify({ type: 'ERROR', object: body })}\n`);
        res.end();
      },
    };
    this.watchers.add(watcher);
    const forget = () => this.watchers.delete(watcher);
    req.on('close', forget);
    res.on('close', forget);
  }

  /** How many watches of a resource are open. */
  openWatches(plural: string): number {
    return [...this.watchers].filter((w) => w.plural === plural).length;
  }

  /** Ends every open watch with an ERROR event, as kube-apiserver does (410 Gone when the resourceVersion is too old). */
  failWatches(code = 410, message = 'too old resource version: 1 (2)'): void {
    for (const w of this.watchers) w.error(status(code, code === 410 ? 'Expired' : 'InternalError', message));
    this.watchers.clear();
  }

  /** Ends every open watch, as an API server restart or a load balancer timeout would. */
  endWatches(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  // ---- the store ----

  private checkBody(type: ResourceType, namespace: string, body: Obj): string | undefined {
    const apiVersion = `${type.group}/${type.version}`;
    if (body.apiVersion !== apiVersion || body.kind !== type.kind) return `the object is ${body.apiVersion ?? '(no apiVersion)'} ${body.kind ?? '(no kind)'}, not ${apiVersion} ${type.kind}`;
    if (typeof body.metadata?.name !== 'string' || body.metadata.name === '') return 'metadata.name: Required value: name is required';
    if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace) return 'the namespace of the provided object does not match the namespace sent on the request';
    return undefined;
  }

  private write(type: ResourceType, namespace: string, object: Obj, existing: Obj | undefined, dryRun = false): Obj {
    const stored = structuredClone(object);
    stored.metadata.namespace = namespace;
    if (existing && sameContent(stored, existing)) return structuredClone(existing); // a no-op write: same resourceVersion, no event
    if (dryRun) {
      stored.metadata.resourceVersion = existing?.metadata.resourceVersion ?? '';
      stored.metadata.uid = existing?.metadata.uid ?? randomUUID();
      return stored;
    }
    stored.metadata.resourceVersion = String(++this.revision);
    if (existing) {
      stored.metadata.uid = existing.metadata.uid;
      stored.metadata.creationTimestamp = existing.metadata.creationTimestamp;
      const specChanged = JSON.stringify(existing.spec) !== JSON.stringify(stored.spec);
      stored.metadata.generation = (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0);
      if (existing.status !== undefined) stored.status = existing.status;
      else delete stored.status;
    } else {
      stored.metadata.uid = randomUUID();
      stored.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      stored.metadata.generation = 1;
    }
    if (stored.metadata.ownerReferences?.length === 0) delete stored.metadata.ownerReferences;
    this.store.set(key(type, namespace, stored.metadata.name), stored);
    this.emit({ resourceVersion: this.revision, type: existing ? 'MODIFIED' : 'ADDED', plural: type.plural, object: stored });
    if (stored.metadata.ownerReferences) this.scheduleGc();
    return structuredClone(stored);
  }

  private erase(type: ResourceType, existing: Obj, propagation: string): void {
    const namespace = existing.metadata.namespace!;
    this.store.delete(key(type, namespace, existing.metadata.name));
    const deleted = structuredClone(existing);
    deleted.metadata.resourceVersion = String(++this.revision);
    this.emit({ resourceVersion: this.revision, type: 'DELETED', plural: type.plural, object: deleted });
    if (propagation === 'Orphan') {
      for (const [k, o] of this.store) {
        const refs = o.metadata.ownerReferences ?? [];
        if (o.metadata.namespace === namespace && refs.some((r) => r.uid === existing.metadata.uid)) {
          const orphan = structuredClone(o);
          orphan.metadata.ownerReferences = refs.filter((r) => r.uid !== existing.metadata.uid);
          this.write(this.typeOf(k.split('/')[0]!), namespace, orphan, o);
        }
      }
    } else this.scheduleGc();
  }

  private scheduleGc(): void {
    if (this.gcTimer || this.stopped || this.paused) return;
    this.gcTimer = setTimeout(() => {
      this.gcTimer = undefined;
      if (!this.paused && !this.stopped) this.collectGarbage();
    }, this.options.gcDelayMs ?? 5);
  }

  /** The garbage collector's pass: dependents of deleted owners go, until nothing changes. */
  collectGarbage(): void {
    for (let changed = true; changed; ) {
      changed = false;
      const uids = new Set([...this.store.values()].map((o) => `${o.metadata.namespace}/${o.metadata.uid}`));
      for (const [k, o] of [...this.store]) {
        const refs = o.metadata.ownerReferences ?? [];
        if (refs.length === 0) continue;
        const alive = refs.filter((r) => uids.has(`${o.metadata.namespace}/${r.uid}`));
        const type = this.typeOf(k.split('/')[0]!);
        if (alive.length === 0) {
          this.erase(type, o, 'Background');
          changed = true;
        } else if (alive.length < refs.length) {
          this.write(type, o.metadata.namespace!, { ...structuredClone(o), metadata: { ...structuredClone(o.metadata), ownerReferences: alive } }, o);
          changed = true;
        }
      }
    }
  }

  private emit(event: StoredEvent): void {
    this.history.push({ ...event, object: structuredClone(event.object) });
    for (const w of this.watchers) w.send(event);
  }

  private typeOf(plural: string): ResourceType {
    const type = TYPES.find((t) => t.plural === plural);
    if (!type) throw new Error(`fake API server: unknown resource ${plural}`);
    return type;
  }
}

const key = (type: ResourceType, namespace: string, name: string) => `${type.plural}/${namespace}/${name}`;

function parsePath(path: string): { group: string; version: string; namespace?: string; plural: string; name?: string } | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'apis' || parts.length < 4) return undefined;
  const [, group, version, ...rest] = parts;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest.length <= 4) return { group: group!, version: version!, namespace: rest[1]!, plural: rest[2]!, ...(rest[3] ? { name: rest[3] } : {}) };
  if (rest.length === 1) return { group: group!, version: version!, plural: rest[0]! };
  return undefined;
}

function verbOf(method: string, named: boolean, watch: boolean): RequestAttributes['verb'] | undefined {
  if (method === 'GET') return named ? 'get' : watch ? 'watch' : 'list';
  if (method === 'POST' && !named) return 'create';
  if (method === 'PUT' && named) return 'update';
  if (method === 'PATCH' && named) return 'patch';
  if (method === 'DELETE' && named) return 'delete';
  return undefined;
}

function status(code: number, reason: string, message: string, outcome = 'Failure'): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: outcome, message, reason, code };
}

const notFound = (type: ResourceType, name: string) => status(404, 'NotFound', `${type.plural}.${type.group} "${name}" not found`);
const conflict = (type: ResourceType, name: string) =>
  status(409, 'Conflict', `Operation cannot be fulfilled on ${type.plural}.${type.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`);

function send(res: ServerResponse, code: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The manager kube-apiserver records for a write without ?fieldManager: the User-Agent's product, "node-fetch" for client-node. */
const DEFAULT_MANAGER = 'node-fetch';

const managedOf = (o: Obj): ManagedFieldsEntry[] => (Array.isArray(o.metadata.managedFields) ? (o.metadata.managedFields as ManagedFieldsEntry[]) : []);

/** Same stored content: what a no-op write would store (managedFields timestamps aside). */
function sameContent(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => {
    const { resourceVersion: _rv, managedFields, generation: _g, ...meta } = o.metadata;
    const owners = (Array.isArray(managedFields) ? (managedFields as ManagedFieldsEntry[]) : []).map((e) => ({ ...e, time: '' }));
    const { status: _s, ...rest } = o;
    return JSON.stringify({ ...rest, metadata: { ...meta, managedFields: owners } });
  };
  return strip(a) === strip(b);
}

/**
 * The fields an object sets, at the granularity this fake tracks ownership: each top-level field
 * of spec (so spec.http and spec.subsets are atomic, as Istio's CRDs leave lists atomic), and each
 * label and annotation key. Keys are paths like `spec.http`, `metadata.labels.app`; values are JSON.
 */
function fieldsOf(o: Obj): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [k, v] of Object.entries((o.spec as Record<string, unknown> | undefined) ?? {})) fields.set(`spec.${k}`, JSON.stringify(v));
  for (const group of ['labels', 'annotations'] as const) {
    for (const [k, v] of Object.entries((o.metadata[group] as Record<string, string> | undefined) ?? {})) fields.set(`metadata.${group}.${k}`, JSON.stringify(v));
  }
  for (const k of Object.keys(o)) if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata' && k !== 'spec' && k !== 'status') fields.set(k, JSON.stringify(o[k]));
  return fields;
}

const splitPath = (path: string): string[] => {
  const [first, second, ...rest] = path.split('.');
  return first === 'metadata' ? [first, second!, rest.join('.')] : first === 'spec' ? [first, [second, ...rest].join('.')] : [path];
};

function getField(o: Obj, path: string): unknown {
  let at: unknown = o;
  for (const part of splitPath(path)) at = (at as Record<string, unknown> | undefined)?.[part];
  return at;
}

function setField(o: Obj, path: string, value: unknown): void {
  const parts = splitPath(path);
  let at = o as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
  at[parts.at(-1)!] = structuredClone(value);
}

function removeField(o: Obj, path: string): void {
  const parts = splitPath(path);
  let at = o as Record<string, unknown> | undefined;
  for (const part of parts.slice(0, -1)) at = at?.[part] as Record<string, unknown> | undefined;
  if (at) delete at[parts.at(-1)!];
}

/** kube's FieldsV1 notation for our paths: `f:spec: {f:http: {}}`, `f:metadata: {f:labels: {f:app: {}}}`. */
function managedEntry(manager: string, operation: 'Apply' | 'Update', apiVersion: string, paths: readonly string[]): ManagedFieldsEntry {
  const fieldsV1: Record<string, unknown> = {};
  for (const path of paths) {
    let at = fieldsV1;
    for (const part of splitPath(path)) at = (at[`f:${part}`] ??= {}) as Record<string, unknown>;
  }
  return { manager, operation, apiVersion, time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), fieldsType: 'FieldsV1', fieldsV1 };
}

function ownedPaths(entry: ManagedFieldsEntry): string[] {
  const paths: string[] = [];
  const walk = (node: Record<string, unknown>, prefix: string[]) => {
    const keys = Object.keys(node);
    if (keys.length === 0 && prefix.length > 0) paths.push(prefix.join('.'));
    for (const k of keys) walk(node[k] as Record<string, unknown>, [...prefix, k.slice(2)]);
  };
  walk(entry.fieldsV1, []);
  return paths;
}

const withoutPaths = (entry: ManagedFieldsEntry, drop: ReadonlyMap<string, string>): ManagedFieldsEntry =>
  managedEntry(entry.manager, entry.operation, entry.apiVersion, ownedPaths(entry).filter((p) => !drop.has(p)));

/** An Update (create, PUT, merge patch) takes the fields whose value it changed; the others lose them. */
function takeOwnership(managed: readonly ManagedFieldsEntry[], before: Obj | undefined, after: Obj, manager: string, apiVersion: string): ManagedFieldsEntry[] {
  const old = before ? fieldsOf(before) : new Map<string, string>();
  const now = fieldsOf(after);
  const changed = new Map([...now].filter(([k, v]) => old.get(k) !== v));
  const gone = [...old.keys()].filter((k) => !now.has(k));
  const drop = new Map([...changed, ...gone.map((k) => [k, ''] as [string, string])]);
  const mine = managed.find((e) => e.manager === manager && e.operation === 'Update');
  const kept = managed.filter((e) => e !== mine).map((e) => withoutPaths(e, drop)).filter((e) => ownedPaths(e).length > 0);
  const paths = [...new Set([...(mine ? ownedPaths(mine).filter((p) => now.has(p)) : []), ...changed.keys()])];
  return paths.length > 0 ? [...kept, managedEntry(manager, 'Update', apiVersion, paths)] : kept;
}

/** `.spec.http`, the way kube-apiserver names a field in a conflict. */
const fieldLabel = (path: string): string => `.${path}`;
