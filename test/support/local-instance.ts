import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './services';

const ROOT = path.resolve(__dirname, '../..');

export interface LocalInstance {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs what `npm start` runs, with nothing configured but ports and the data directory. */
export function startLocal(dataDir: string, port: number, pgPort: number): LocalInstance {
  const child = spawn(process.execPath, ['--require', '@swc-node/register', 'apps/api/src/local.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      EMBEDDED_PG_PORT: String(pgPort),
      MASKGEN_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits for GET /health/ready to answer 200 and returns its body; fails at once if the process exits. */
export async function ready(port: number, instance: LocalInstance): Promise<Record<string, unknown>> {
  return waitFor(
    'GET /health/ready to answer 200',
    async () => {
      if (instance.child.exitCode !== null) throw new Error(`local mode exited early:\n${instance.output()}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    },
    90_000,
    250,
  );
}
