import type { FindOptionsOrder, FindOptionsWhere, Repository } from 'typeorm';

/**
 * One page of a team's rows, newest first, and how many match. Filters left undefined are dropped, since
 * TypeORM 1 refuses undefined in a where clause.
 */
export function teamPageNewestFirst<T extends { teamId: string; createdAt: Date }>(
  repository: Repository<T>,
  teamId: string,
  filter: Partial<Record<keyof T, unknown>>,
  offset: number,
  limit: number,
): Promise<[T[], number]> {
  const given = Object.entries(filter).filter(([, value]) => value !== undefined);
  return repository.findAndCount({
    where: { teamId, ...Object.fromEntries(given) } as FindOptionsWhere<T>,
    order: { createdAt: 'DESC' } as FindOptionsOrder<T>,
    skip: offset,
    take: limit,
  });
}
