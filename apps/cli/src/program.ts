import { Command, CommanderError } from 'commander';
import { ApiError } from '@maskgen/client';
import { evalCommand } from './commands/eval';
import { datasetsCommand } from './commands/datasets';
import { modelsCommand } from './commands/models';
import { runsCommand } from './commands/runs';
import { schedulesCommand } from './commands/schedules';
import type { CliDeps } from './context';
import { DEFAULT_API_URL, UsageError } from './settings';

export const EXIT_OK = 0;
/** The server refused, or the work it did failed (run failed, training failed, ...). */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong. */
export const EXIT_USAGE = 2;

export function buildProgram(deps: CliDeps): Command {
  const program = new Command('maskgen')
    .description('Drive a maskgen API from the terminal: datasets, models, runs, evaluations, schedules')
    .option('--api-url <url>', `API base URL (env MASKGEN_API_URL, default ${DEFAULT_API_URL})`)
    .option('--api-key <key>', 'API key (env MASKGEN_API_KEY)')
    .option('--json', 'print machine-readable JSON instead of tables')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => deps.io.stdout.write(text),
      writeErr: (text) => deps.io.stderr.write(text),
    });
  for (const sub of [datasetsCommand, modelsCommand, runsCommand, evalCommand, schedulesCommand]) {
    program.addCommand(sub(deps));
  }
  // Parse errors surface as exceptions, so run() decides the exit code; applied to every sub-command.
  const exitOverride = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs one invocation; returns the process exit code. Errors are printed, never thrown. */
export async function run(argv: string[], deps: CliDeps): Promise<number> {
  const program = buildProgram(deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" too, with exit code 0; commander already printed the message.
      if (error.exitCode === 0) return EXIT_OK;
      if (error.code === 'commander.executeSubCommandAsync' || error.code === 'commander.help')
        return EXIT_OK;
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      deps.io.stderr.write(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ApiError) {
      const status = error.status ? ` (HTTP ${error.status})` : '';
      deps.io.stderr.write(`error: ${error.message}${status}\n`);
      return EXIT_FAILURE;
    }
    const message = error instanceof Error ? error.message : String(error);
    deps.io.stderr.write(`error: ${message}\n`);
    return EXIT_FAILURE;
  }
}
