import type { DataSource, EntityManager, EntityTarget, FindOptionsWhere } from 'typeorm';

/** One of a team's rows that others still depend on: a dataset models were trained on, a model runs sample from. */
export class ResourceInUseError extends Error {}

/**
 * Deletes one of a team's rows unless `inUse` names what still uses it (then ResourceInUseError with that reason);
 * false when the team has no row with that id. The row is locked first and all runs in one transaction, so
 * nothing can start using it between the check and the delete.
 */
export function deleteTeamRowUnlessInUse<T extends { id: string; teamId: string }>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  key: { id: string; teamId: string },
  inUse: (manager: EntityManager) => Promise<string | undefined>,
): Promise<boolean> {
  return dataSource.transaction(async (manager) => {
    const row = await manager.findOne(entity, {
      where: key as FindOptionsWhere<T>,
      lock: { mode: 'pessimistic_write' },
    });
    if (!row) return false;
    const reason = await inUse(manager);
    if (reason !== undefined) throw new ResourceInUseError(reason);
    await manager.delete(entity, { id: key.id });
    return true;
  });
}
