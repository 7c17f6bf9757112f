import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Runs record what produced their samples: inference engine(s), model hash, code version. */
export class RunProvenance1764440000000 implements MigrationInterface {
  name = 'RunProvenance1764440000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "runs" ADD "provenance" jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "runs" DROP COLUMN "provenance"`);
  }
}
