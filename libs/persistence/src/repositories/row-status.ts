import type { FindOptionsSelect, FindOptionsWhere, Repository } from 'typeorm';

/**
 * The status of one row, reading that column only: workers poll it while they work (was the run or model
 * cancelled?). undefined when the row is gone.
 */
export async function statusOf<S, T extends { id: string; status: S }>(
  repository: Repository<T>,
  id: string,
): Promise<S | undefined> {
  const row = await repository.findOne({
    where: { id } as FindOptionsWhere<T>,
    select: { status: true } as FindOptionsSelect<T>,
  });
  return row?.status;
}
