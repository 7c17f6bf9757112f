import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-sample evaluation features of a run under a judge, for the paired bootstrap of GET /runs/compare (issue 19). */
export class RunFeatures1764490000000 implements MigrationInterface {
  name = 'RunFeatures1764490000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "run_features" ("run_id" uuid NOT NULL, "judge_model_id" uuid NOT NULL, "judge" jsonb NOT NULL, "dim" integer NOT NULL, "generated_count" integer NOT NULL, "generated" bytea NOT NULL, "real_count" integer NOT NULL, "real" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a5036743154478fa17c629b3d2d" PRIMARY KEY ("run_id", "judge_model_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "run_features" ADD CONSTRAINT "FK_05d141b85484a4026d3c2b3d6cc" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "run_features" ADD CONSTRAINT "FK_5c8136cd2179e1e1cd91274fa7f" FOREIGN KEY ("judge_model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "run_features" DROP CONSTRAINT "FK_5c8136cd2179e1e1cd91274fa7f"`);
    await queryRunner.query(`ALTER TABLE "run_features" DROP CONSTRAINT "FK_05d141b85484a4026d3c2b3d6cc"`);
    await queryRunner.query(`DROP TABLE "run_features"`);
  }
}
