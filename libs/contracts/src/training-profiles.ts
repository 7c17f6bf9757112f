/**
 * Training profiles (model and training sizes), and the one used when a request names none. No imports,
 * so the dashboard's bundle can take them from here too: the API, the CLI and the dashboard's form all
 * default to DEFAULT_TRAINING_PROFILE.
 */
export const TRAINING_PROFILES = ['tiny', 'cpu', 'paper'] as const;
export type TrainingProfileName = (typeof TRAINING_PROFILES)[number];

export const DEFAULT_TRAINING_PROFILE: TrainingProfileName = 'cpu';

/** One line per profile for forms and help texts. */
export const TRAINING_PROFILE_LABELS: Record<TrainingProfileName, string> = {
  tiny: 'seconds, for trying things',
  cpu: 'minutes',
  paper: "the paper's sizes; GPU",
};
