// One object of the input or the output. Its header (apiVersion, kind, name, namespace) is known up
// front. An object Switchyard passes through is never read: its text is copied as it came. An
// object it reads goes through the fast block-YAML reader, and through the `yaml` library only
// when that declines (or when a node is needed, to edit it). An object it generates is printed
// from plain data.
import { Document as YamlDocument, isMap, isNode, isScalar, parseDocument, visit, type Document, type YAMLMap } from 'yaml';
import type { Source } from '../model/kinds.ts';
import { isOrchestratorAnnotation } from './annotations.ts';
import { printBlockYaml, readBlockYaml } from './block-yaml.ts';
import { createObjectNode, isAmbiguous, MAX_ALIAS_COUNT, PARSE_OPTIONS, STRINGIFY_OPTIONS, YamlBudget } from './yaml.ts';

export interface Header {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export type Read = { object: unknown } | { problem: string };

export class Item {
  #node: YAMLMap | undefined;
  #doc: Document | undefined;
  #read: Read | undefined;
  readonly #text: (() => string) | undefined;
  readonly #generated: unknown;
  readonly #budget: YamlBudget | undefined;
  /** Why the text could not be parsed (invalid YAML, too deep, past the run's budget). */
  #unparsable: string | undefined;
  /** The block-YAML reader read the text: it is plain, shallow and has no aliases. */
  #plain = false;

  private constructor(
    readonly source: Source,
    readonly header: Header,
    /** The object's text in the ResourceList (its `- `, comments and all), copied when unchanged. */
    readonly raw: string | undefined,
    parts: { doc?: Document; node?: YAMLMap; text?: () => string; generated?: unknown; budget?: YamlBudget },
  ) {
    this.#doc = parts.doc;
    this.#node = parts.node;
    this.#text = parts.text;
    this.#generated = parts.generated;
    this.#budget = parts.budget;
  }

  /** An object already parsed. */
  static of(doc: Document, node: YAMLMap, source: Source, raw?: string): Item {
    return new Item(source, headerOf(node), raw, { doc, node });
  }

  /**
   * An object known by its header; `text()` (the object alone, not indented) is read on demand,
   * and when the `yaml` library must parse it, that counts against the run's `budget`.
   */
  static lazy(text: () => string, header: Header, source: Source, raw: string, budget?: YamlBudget): Item {
    return new Item(source, header, raw, { text, ...(budget ? { budget } : {}) });
  }

  /** An object Switchyard made, as plain data. */
  static generated(object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }, source: Source): Item {
    const { apiVersion, kind, metadata } = object;
    return new Item(source, { apiVersion, kind, name: metadata.name, ...(metadata.namespace ? { namespace: metadata.namespace } : {}) }, undefined, { generated: object });
  }

  /** An object read as plain data (a YAML stream's document): printed from that data. */
  static plain(object: Record<string, unknown>, source: Source): Item {
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const metadata = (object.metadata ?? {}) as Record<string, unknown>;
    const fields = { apiVersion: str(object.apiVersion), kind: str(object.kind), name: str(metadata.name), namespace: str(metadata.namespace) };
    const header = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Header;
    return new Item(source, header, undefined, { generated: object });
  }

  /** The same object with a new node: it is printed, not copied. */
  withNode(doc: Document, node: YAMLMap): Item {
    return Item.of(doc, node, this.source);
  }

  /** The object as a YAML node, parsed (or, for a generated object, built) on first use. */
  get node(): YAMLMap {
    this.parseOrThrow();
    return this.#node!;
  }

  /** The document the node belongs to (aliases resolve within it). */
  get doc(): Document {
    this.parseOrThrow();
    return this.#doc!;
  }

  /**
   * The object as plain data, without the orchestrator's annotations (internal.config.kubernetes.io/*
   * and the like), or why it cannot be read: YAML aliases that expand too far.
   */
  read(): Read {
    if (this.#read) return this.#read;
    let object: unknown;
    if (this.#generated !== undefined) object = structuredClone(this.#generated);
    else if (!this.#node && this.#text !== undefined) {
      object = readBlockYaml(this.#text());
      // Plain block YAML, shallow and without aliases: should its node be needed (to edit it), the
      // yaml library parses it outside the run's budget, which is for text no one has measured.
      if (object !== undefined) this.#plain = true;
    }
    if (object === undefined) {
      const problem = this.parse() ?? keyProblem(this.#node!);
      if (problem) return (this.#read = { problem });
      try {
        object = withoutSymbols(this.#node!.toJS(this.#doc!, { maxAliasCount: MAX_ALIAS_COUNT }));
      } catch (error) {
        // toJS throws only for what the text says: aliases that expand too far (ReferenceError), a
        // merge key (`<<`, `!!merge <<`) whose source is not a map, an alias before its anchor.
        if (error instanceof ReferenceError) return (this.#read = { problem: `its YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} uses of one anchor); write the values out.` });
        if (!(error instanceof Error)) throw error;
        return (this.#read = { problem: `cannot be read as data: ${firstLine(error.message)}; write the values out (a merge key's source must be a map defined before it).` });
      }
    }
    return (this.#read = { object: withoutOrchestratorAnnotations(object) });
  }

  /** Drops what read() kept: a render holds thousands of fragments, and only once. */
  forget(): void {
    this.#read = undefined;
  }

  /** The object's text, at column 0: printed from plain data when generated, else from the node. */
  print({ orchestratorAnnotations = true } = {}): string {
    if (this.#generated !== undefined) {
      const object = orchestratorAnnotations ? this.#generated : withoutOrchestratorAnnotations(structuredClone(this.#generated));
      return printBlockYaml(object, isAmbiguous);
    }
    let node = this.node;
    if (!orchestratorAnnotations) {
      node = node.clone() as YAMLMap;
      const annotations = node.getIn(['metadata', 'annotations']);
      if (isMap(annotations)) {
        annotations.items = annotations.items.filter((pair) => !isOrchestratorAnnotation(String((pair.key as { value?: unknown })?.value ?? pair.key)));
        if (annotations.items.length === 0) node.deleteIn(['metadata', 'annotations']);
      }
    }
    const doc = new YamlDocument(null, PARSE_OPTIONS);
    // The schema the text was parsed with: it knows the tags the text used (`!!merge`, kpt's
    // spelling of a plain `<<`), which a new document's schema cannot print.
    if (this.#doc) doc.schema = this.#doc.schema;
    doc.contents = node;
    return doc.toString(STRINGIFY_OPTIONS);
  }

  /** Parses on first use; returns why the text cannot be parsed (the scanner cuts items without parsing them). */
  private parse(): string | undefined {
    if (this.#node) return undefined;
    if (this.#unparsable !== undefined) return this.#unparsable;
    if (this.#generated !== undefined) {
      const doc = new YamlDocument(null, PARSE_OPTIONS);
      this.#doc = doc;
      this.#node = createObjectNode(doc, this.#generated);
      return undefined;
    }
    const text = this.#text?.() ?? '';
    const refused = this.#plain ? undefined : (this.#budget ?? new YamlBudget()).admit(text);
    if (refused) return (this.#unparsable = refused);
    const doc = parseDocument(text, PARSE_OPTIONS);
    if (doc.errors.length > 0) return (this.#unparsable = `is not valid YAML: ${firstLine(doc.errors[0]!.message)} (line numbers count from the object's first line).`);
    if (!isMap(doc.contents)) return (this.#unparsable = 'is not a Kubernetes object (a map with apiVersion and kind).');
    this.#doc = doc;
    this.#node = doc.contents;
    return undefined;
  }

  /** For callers that only touch objects already read: a broken one here is a bug, not a user's mistake. */
  private parseOrThrow(): void {
    const problem = this.parse();
    if (problem) throw new Error(`item at ${this.source.path ?? '?'} cannot be parsed, yet its node was asked for: ${problem}`);
  }
}

const firstLine = (message: string): string => message.split('\n')[0]!.replace(/:$/, '');

/**
 * Kubernetes objects have string keys. A map or list as a key would be turned into a string by
 * toJS, and one nested in another costs time that grows much faster than the text (1 KB of
 * `? ? ? ...` took 33 s), so such keys, and aliases as keys, are refused before toJS.
 */
function keyProblem(node: YAMLMap): string | undefined {
  let problem: string | undefined;
  visit(node, {
    Pair(_, pair) {
      if (!isNode(pair.key) || isScalar(pair.key)) return undefined; // a scalar, or a plain key set by setIn
      problem = 'uses a map, a list or an alias as a key; Kubernetes objects have string keys only.';
      return visit.BREAK;
    },
  });
  return problem;
}

/**
 * The value with every Symbol replaced by its name. The yaml library reads a scalar tagged
 * `!!merge` (kpt and kustomize write a plain `<<` that way) as a Symbol, which no JSON value can
 * hold and structuredClone refuses: the user wrote the string `<<`.
 */
function withoutSymbols(value: unknown): unknown {
  if (typeof value === 'symbol') return value.description ?? '';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = withoutSymbols(value[i]);
  } else if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) object[key] = withoutSymbols(object[key]);
  }
  return value;
}

function withoutOrchestratorAnnotations(object: unknown): unknown {
  const metadata = (object as { metadata?: { annotations?: Record<string, unknown> } } | null)?.metadata;
  const annotations = metadata?.annotations;
  if (annotations && typeof annotations === 'object') {
    for (const key of Object.keys(annotations)) if (isOrchestratorAnnotation(key)) delete annotations[key];
    if (Object.keys(annotations).length === 0) delete metadata!.annotations;
  }
  return object;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function headerOf(node: YAMLMap): Header {
  const header: Header = {};
  const apiVersion = str(node.get('apiVersion'));
  const kind = str(node.get('kind'));
  const name = str(node.getIn(['metadata', 'name']));
  const namespace = str(node.getIn(['metadata', 'namespace']));
  if (apiVersion !== undefined) header.apiVersion = apiVersion;
  if (kind !== undefined) header.kind = kind;
  if (name !== undefined) header.name = name;
  if (namespace !== undefined) header.namespace = namespace;
  return header;
}
