// Types of workspace-sources.mjs, for the TypeScript configs (Vitest, the dashboard's Vite) that import it.
export declare function workspaceSources(
  root: string,
  options?: { groups?: string[]; names?: string[] },
): { specifier: string; source: string }[];

export declare function sourceAliases(
  root: string,
  options?: { groups?: string[]; names?: string[] },
): { find: RegExp; replacement: string }[];
