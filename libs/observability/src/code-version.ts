import { readFileSync } from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/** The nearest directory above `from` with the project's package.json (source and dist layouts differ in depth). */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'maskgen') return dir;
    } catch {
      // No package.json here; keep climbing.
    }
    if (path.dirname(dir) === dir) return from;
  }
}

/**
 * The code that runs: package version, plus the git commit when the process runs from a checkout (read from .git
 * without spawning git; images have no .git and report the version alone). Recorded in each run's provenance.
 */
export function codeVersion(root = packageRoot(__dirname)): string {
  if (cached !== undefined) return cached;
  let version = 'unknown';
  try {
    version =
      (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ??
      version;
  } catch {
    // Built layouts without package.json keep 'unknown'.
  }
  try {
    const head = readFileSync(path.join(root, '.git', 'HEAD'), 'utf8').trim();
    const commit = head.startsWith('ref: ')
      ? readFileSync(path.join(root, '.git', head.slice(5)), 'utf8').trim()
      : head;
    if (/^[0-9a-f]{40}$/.test(commit)) version = `${version}+${commit.slice(0, 12)}`;
  } catch {
    // Not a checkout, or a packed ref: the version alone.
  }
  cached = version;
  return version;
}
