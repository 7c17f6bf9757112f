import { run } from './program';

// The CLI's settings (MASKGEN_API_URL, MASKGEN_API_KEY) are the user's, not server config: see settings.ts.
// eslint-disable-next-line no-restricted-properties
const environment = process.env;

run(process.argv.slice(2), { io: { stdout: process.stdout, stderr: process.stderr }, environment }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `maskgen: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
