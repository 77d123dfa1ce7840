// Types of podman.mjs, for the TypeScript tests and the bench that use it.
export const ROOT: string;
export const IMAGE: string;
export const STATE: string;
export const CONTAINERS_CONF: string;
export function requireCommand(name: string): void;
export function podmanEnv(): NodeJS.ProcessEnv;
export function podman(args: readonly string[], options?: { input?: string | Buffer; inherit?: boolean }): string;
export function imageLabel(image: string, label: string): string | undefined;
