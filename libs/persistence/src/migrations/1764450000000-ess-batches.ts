import type { MigrationInterface, QueryRunner } from 'typeorm';

/** ESS runs record each sampler call's resolved settings and t* (issue 19). */
export class EssBatches1764450000000 implements MigrationInterface {
  name = 'EssBatches1764450000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "ess_batches" ("run_id" uuid NOT NULL, "first_sample" integer NOT NULL, "shard_index" integer NOT NULL, "sample_count" integer NOT NULL, "config" jsonb NOT NULL, "t_star" smallint NOT NULL, "critic_worse" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d9c45cb39e1db584459d8d063ec" PRIMARY KEY ("run_id", "first_sample"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "ess_batches" ADD CONSTRAINT "FK_f912623b4694a1060f96a11dc32" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "ess_batches" DROP CONSTRAINT "FK_f912623b4694a1060f96a11dc32"`);
    await queryRunner.query(`DROP TABLE "ess_batches"`);
  }
}
