import { Column, Index, JoinColumn, ManyToOne, PrimaryColumn, type ObjectType } from 'typeorm';
import type { OnDeleteType } from 'typeorm/metadata/types/OnDeleteType';

export interface ReferenceOptions<T> {
  onDelete: OnDeleteType;
  /** The column is part of the table's primary key. */
  primary?: boolean;
  /** Name of that primary key constraint (TypeORM names it PK_<hash> unless given). */
  primaryKeyName?: string;
  nullable?: boolean;
  /** Name of a (non-unique) index on the column. */
  index?: string;
  /** The property of the referenced entity that lists this one (a one-to-many on the other side). */
  inverse?: (entity: T) => unknown;
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * A many-to-one reference, declared once on its relation property `x`: the relation, joined on column `x_id`, and
 * that column as the property `xId` (which the class declares without a decorator of its own), e.g.
 *
 *   runId!: string;
 *   @References(() => RunEntity, { onDelete: 'CASCADE' })
 *   run?: RunEntity;
 */
export function References<T>(
  target: string | (() => ObjectType<T>),
  options: ReferenceOptions<T>,
): PropertyDecorator {
  return (prototype, property) => {
    const relation = String(property);
    const idProperty = `${relation}Id`;
    const column = `${snakeCase(relation)}_id`;
    const type = 'uuid';
    if (options.primary) {
      PrimaryColumn({ name: column, type, primaryKeyConstraintName: options.primaryKeyName })(
        prototype,
        idProperty,
      );
    } else Column({ name: column, type, nullable: options.nullable })(prototype, idProperty);
    if (options.index !== undefined) Index(options.index)(prototype, idProperty);
    JoinColumn({ name: column })(prototype, property);
    const manyToOne = options.inverse
      ? ManyToOne(target, options.inverse, { onDelete: options.onDelete })
      : ManyToOne(target, { onDelete: options.onDelete });
    manyToOne(prototype, property);
  };
}
