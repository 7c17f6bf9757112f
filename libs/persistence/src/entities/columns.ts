import { Column, CreateDateColumn, UpdateDateColumn, type ColumnOptions, type ColumnType } from 'typeorm';
import { bigintAsNumber } from './transformers';

/*
 * Column decorators by type. The column is named after the property, camelCase in TypeScript and snake_case in
 * the database (sampleCount → sample_count), so a name is written once.
 */

type TypedColumnOptions = Omit<ColumnOptions, 'name' | 'type'>;

/** The database name of a property: sampleCount → sample_count. */
export function columnName(key: string | symbol): string {
  return String(key).replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function typedColumn(type: ColumnType, defaults: TypedColumnOptions = {}) {
  return (options: TypedColumnOptions = {}): PropertyDecorator =>
    (target, key) => {
      Column({ name: columnName(key), type, ...defaults, ...options })(target, key);
    };
}

export const TextColumn = typedColumn('text');
export const IntColumn = typedColumn('integer');
export const RealColumn = typedColumn('real');
export const DoubleColumn = typedColumn('double precision');
export const BytesColumn = typedColumn('bytea');
export const TimestampColumn = typedColumn('timestamptz');
export const JsonColumn = typedColumn('jsonb');
/** A jsonb object that starts empty. */
export const JsonObjectColumn = typedColumn('jsonb', { default: () => "'{}'" });
/** int8 read back as a number (seeds and counts that fit in a double). */
export const BigIntColumn = typedColumn('bigint', { transformer: bigintAsNumber });

/** The SQL of a CHECK that `column` holds one of `values` (a value list of libs/contracts), e.g. "status IN ('a', 'b')". */
export function oneOf(column: string, values: readonly string[]): string {
  return `${column} IN (${values.map((value) => `'${value}'`).join(', ')})`;
}

/** When the row was inserted. */
export function CreatedAt(): PropertyDecorator {
  return CreateDateColumn({ name: 'created_at', type: 'timestamptz' });
}

/** When the row was last saved through TypeORM. */
export function UpdatedAt(): PropertyDecorator {
  return UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' });
}
