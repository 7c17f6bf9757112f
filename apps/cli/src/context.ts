import { InvalidArgumentError, type Command } from 'commander';
import { MaskgenClient } from '@maskgen/client';
import type { Io } from './output';
import { settingsOf, type Settings } from './settings';

export interface CliDeps {
  io: Io;
  environment: NodeJS.ProcessEnv;
}

export interface CommandContext extends CliDeps {
  client: MaskgenClient;
  settings: Settings;
}

/** The client and settings of one invocation, from the command's (global) options. */
export function contextOf(command: Command, deps: CliDeps): CommandContext {
  const settings = settingsOf(command, deps.environment);
  return {
    ...deps,
    settings,
    client: new MaskgenClient({ baseUrl: settings.apiUrl, apiKey: settings.apiKey }),
  };
}

/** Parses an integer option, so "--samples 1e3" or "--limit x" is a usage error, not a 400. */
export function integer(name: string, min = 0) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min) {
      throw new InvalidArgumentError(`${name} must be an integer of at least ${min}.`);
    }
    return parsed;
  };
}
