import type { MigrationInterface, QueryRunner } from 'typeorm';

/** In-training states of unfinished stages live with the model's checkpoints (issue 20 item 3). */
export class ModelCheckpointPartial1764500000000 implements MigrationInterface {
  name = 'ModelCheckpointPartial1764500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "model_checkpoints" ADD "partial" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE "model_checkpoints" ADD "step" integer`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "model_checkpoints" WHERE "partial"`);
    await queryRunner.query(`ALTER TABLE "model_checkpoints" DROP COLUMN "step"`);
    await queryRunner.query(`ALTER TABLE "model_checkpoints" DROP COLUMN "partial"`);
  }
}
