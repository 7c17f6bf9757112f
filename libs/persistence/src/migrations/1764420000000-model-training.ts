import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Models record their profile, seed and stage metrics; critic score rows carry their token grid shape. */
export class ModelTraining1764420000000 implements MigrationInterface {
  name = 'ModelTraining1764420000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "models" ADD "profile" text NOT NULL DEFAULT 'cpu'`);
    await queryRunner.query(`ALTER TABLE "models" ADD "seed" bigint NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "models" ADD "metrics" jsonb NOT NULL DEFAULT '{}'`);
    await queryRunner.query(
      `ALTER TABLE "models" ADD CONSTRAINT "ck_models_profile" CHECK (profile IN ('tiny', 'cpu', 'paper'))`,
    );
    // Nothing wrote critic scores before this migration; the defaults only satisfy NOT NULL on old rows.
    await queryRunner.query(`ALTER TABLE "token_critic_scores" ADD "grid_rows" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" ADD "grid_columns" integer NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(`ALTER TABLE "token_critic_scores" ALTER COLUMN "grid_rows" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "token_critic_scores" ALTER COLUMN "grid_columns" DROP DEFAULT`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "token_critic_scores" DROP COLUMN "grid_columns"`);
    await queryRunner.query(`ALTER TABLE "token_critic_scores" DROP COLUMN "grid_rows"`);
    await queryRunner.query(`ALTER TABLE "models" DROP CONSTRAINT "ck_models_profile"`);
    await queryRunner.query(`ALTER TABLE "models" DROP COLUMN "metrics"`);
    await queryRunner.query(`ALTER TABLE "models" DROP COLUMN "seed"`);
    await queryRunner.query(`ALTER TABLE "models" DROP COLUMN "profile"`);
  }
}
