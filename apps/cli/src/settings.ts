import type { Command } from 'commander';

export const DEFAULT_API_URL = 'http://localhost:3000';

export interface GlobalOptions {
  apiUrl?: string;
  apiKey?: string;
  json?: boolean;
}

export interface Settings {
  apiUrl: string;
  apiKey: string;
  json: boolean;
}

/**
 * Where the CLI finds the API: flags first, then MASKGEN_API_URL / MASKGEN_API_KEY. These are the
 * client's own settings on the user's machine, not server configuration, so they are read here and
 * not through libs/config (which validates the server's environment).
 */
export function settingsOf(command: Command, environment: NodeJS.ProcessEnv): Settings {
  const options = command.optsWithGlobals<GlobalOptions>();
  const apiKey = options.apiKey ?? environment.MASKGEN_API_KEY;
  if (!apiKey) {
    throw new UsageError('An API key is required: pass --api-key or set MASKGEN_API_KEY');
  }
  return {
    apiUrl: options.apiUrl ?? environment.MASKGEN_API_URL ?? DEFAULT_API_URL,
    apiKey,
    json: options.json === true,
  };
}

/** A mistake in how the CLI was called (exit code 2), as opposed to an answer of the server (1). */
export class UsageError extends Error {
  override name = 'UsageError';
}
