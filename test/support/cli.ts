import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/maskgen.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Quotes one argument for `sh -c`. */
function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs the `maskgen` bin as a user would, in its own process, with only PATH and `env` set. With
 * `tty`, it runs on a pseudo-terminal (util-linux `script`), as in an interactive shell: stdout and
 * stderr are then both in `stdout`, terminal control sequences included.
 */
export function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { tty?: boolean } = {},
): Promise<CliResult> {
  const command = [process.execPath, BIN, ...args];
  const [file, argv] = options.tty
    ? ['script', ['--quiet', '--return', '--command', command.map(shellQuote).join(' '), '/dev/null']]
    : [command[0], command.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Asserts exit code 0, showing both streams otherwise. */
export function ok(result: CliResult): CliResult {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}
