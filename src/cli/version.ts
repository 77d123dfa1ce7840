// The version, from package.json: scripts/build.mjs defines SWITCHYARD_VERSION into the bundle,
// and vitest.config.ts defines it for in-process tests, so both stamp the same version.
declare const SWITCHYARD_VERSION: string;

export const VERSION: string = typeof SWITCHYARD_VERSION === 'string' ? SWITCHYARD_VERSION : 'dev';

/** What generated objects say made them (annotation switchyard.dev/rendered-by). */
export const RENDERED_BY = `switchyard/${VERSION}`;
