/**
 * The node test runner's arguments for `npm test`, in one place so a test can run exactly what CI runs.
 *
 * In Node 20 `--test-timeout` bounds each test FILE (its process is killed and the file reported as failed), so a
 * file that hangs (a leaked handle, a stuck service) fails the run within the cap instead of stalling CI until its
 * job timeout with no report. The default leaves the longest file (about 4 minutes on 2 cores) over 3x headroom.
 */
export const DEFAULT_FILE_TIMEOUT_MS = 15 * 60_000;

/** TEST_FILE_TIMEOUT_MS: milliseconds per test file, 0 for none; unset or empty takes the default. */
export function fileTimeoutMs(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_FILE_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(
      `TEST_FILE_TIMEOUT_MS must be a whole number of milliseconds (0: no cap), got '${raw}'`,
    );
  }
  return value;
}

/**
 * Whether a test file (path from the repository root) runs against PostgreSQL and Redis: the files of test/ do;
 * the tests of libs/ and apps/ (the unit tier, and the model quality files) need no service, so a run of only those
 * starts none.
 */
export function needsServices(file: string): boolean {
  return file.split(/[\\/]/)[0] === 'test';
}

/** What `npm test` says when no selected file needs a service (a test looks for it). */
export const NO_SERVICES_LINE = '# no selected test file needs PostgreSQL or Redis: none started';

export function nodeTestArgs(files: readonly string[], timeoutMs: number): string[] {
  return [
    '--require',
    '@swc-node/register',
    '--test',
    '--test-concurrency=2',
    ...(timeoutMs > 0 ? [`--test-timeout=${timeoutMs}`] : []),
    ...files,
  ];
}
