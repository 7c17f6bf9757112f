import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Exports read a run's samples in sample order; without this index each page scans the run. */
export class SamplesExportIndex1764410000000 implements MigrationInterface {
  name = 'SamplesExportIndex1764410000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "idx_samples_run_sample_index" ON "samples" ("run_id", "sample_index")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_samples_run_sample_index"`);
  }
}
