/**
 * node's arguments to run a TypeScript entry (a path relative to the repository root) the way the npm scripts run
 * it, so every test that starts a real process starts it the same way.
 */
export function tsEntryArgs(entry: string, ...args: string[]): string[] {
  return ['--require', '@swc-node/register', entry, ...args];
}
