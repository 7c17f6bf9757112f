import type { Attempt } from '../src/failure-policy';

/** A job attempt whose signal has not fired; `failsForGood` says whether throwing now ends the job. */
export function liveAttempt(failsForGood = true): Attempt {
  return { signal: new AbortController().signal, failsForGood: () => failsForGood };
}

/** A job attempt stopped by `reason` (a cancel, a shutdown, a lost lock). */
export function abortedAttempt(reason: Error): Attempt {
  const controller = new AbortController();
  controller.abort(reason);
  return { signal: controller.signal, failsForGood: () => true };
}
