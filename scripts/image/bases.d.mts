// Types of bases.mjs, for the TypeScript tests that use it.
export const NODE_VERSION: string;
export const NPM_VERSION: string;
export const STAND_IN_LABEL: string;
export function baseNames(dockerfile?: string): { build: string; final: string };
export function ensureBases(log?: (line: string) => void): boolean;
