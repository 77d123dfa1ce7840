// The annotations kpt and kustomize use to say where an object came from and where it goes.
export const PATH = 'internal.config.kubernetes.io/path';
export const INDEX = 'internal.config.kubernetes.io/index';
export const LEGACY_PATH = 'config.kubernetes.io/path';
export const LEGACY_INDEX = 'config.kubernetes.io/index';
export const LOCAL_CONFIG = 'config.kubernetes.io/local-config';
export const ORIGIN = 'config.kubernetes.io/origin';

/** Annotations that belong to the orchestrator (kpt, kustomize), not to the object. */
export const isOrchestratorAnnotation = (key: string): boolean =>
  key.startsWith('internal.config.kubernetes.io/') ||
  key.startsWith('config.k8s.io/') ||
  key === LEGACY_PATH ||
  key === LEGACY_INDEX ||
  key === 'config.kubernetes.io/id' ||
  key === ORIGIN ||
  key === 'kustomize.config.k8s.io/id';
