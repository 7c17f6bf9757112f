import { ConflictException, NotFoundException } from '@nestjs/common';
import { ResourceInUseError } from '@maskgen/persistence';

/** Deletes one of the team's resources (`what` names it, e.g. "Model"): 404 when it has none, 409 while in use. */
export async function removeOwned(what: string, id: string, deleted: () => Promise<boolean>): Promise<void> {
  try {
    if (!(await deleted())) throw new NotFoundException(`${what} ${id} not found`);
  } catch (error) {
    if (error instanceof ResourceInUseError) throw new ConflictException(error.message);
    throw error;
  }
}
