import type { MigrationInterface } from 'typeorm';
import { InitialSchema1764400000000 } from './1764400000000-initial-schema';

type MigrationClass = new () => MigrationInterface;

/** Every migration, oldest first. A new migration must be appended here. */
export const MIGRATIONS: MigrationClass[] = [InitialSchema1764400000000];
