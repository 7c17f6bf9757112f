import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Samples keyed by (run_id, sample_index) (issue 21 item 5: sample inserts). A sample's index is unique within its
 * run (a run's shards cover disjoint index ranges), so that pair becomes the primary key, and the serial id, its
 * sequence, the unique (run_id, shard_index, sample_index) and the index (run_id, sample_index) go: each stored row
 * costs one index entry instead of three, and no nextval(). samples.id was never in the API (samples are named by
 * run and index there); only token_critic_scores referenced it, and now names its sample by (run_id, sample_index).
 * `values` is stored uncompressed (float bytes do not compress): PostgreSQL no longer tries before moving a long
 * series to TOAST.
 *
 * Existing rows keep their data. The migration refuses to run (and changes nothing) if two samples of a run share
 * an index, which only overlapping shards could have stored; down() gives the samples new serial ids.
 */
export class SamplesRunIndexKey1764540000000 implements MigrationInterface {
  name = 'SamplesRunIndexKey1764540000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const duplicates = (await queryRunner.query(
      `SELECT run_id, sample_index, count(*)::int AS n FROM "samples"
        GROUP BY run_id, sample_index HAVING count(*) > 1 ORDER BY run_id, sample_index LIMIT 5`,
    )) as { run_id: string; sample_index: number; n: number }[];
    if (duplicates.length > 0) {
      const listed = duplicates.map((row) => `run ${row.run_id} index ${row.sample_index} (${row.n} rows)`);
      throw new Error(
        `samples: some runs store two samples under one index, e.g. ${listed.join('; ')}; ` +
          `keep one row of each (run_id, sample_index) and migrate again`,
      );
    }

    // token_critic_scores: sample_id → (run_id, sample_index).
    await queryRunner.query(`ALTER TABLE "token_critic_scores" ADD "run_id" uuid`);
    await queryRunner.query(`ALTER TABLE "token_critic_scores" ADD "sample_index" integer`);
    await queryRunner.query(
      `UPDATE "token_critic_scores" AS t SET "run_id" = s.run_id, "sample_index" = s.sample_index
         FROM "samples" AS s WHERE s.id = t.sample_id`,
    );
    await queryRunner.query(`ALTER TABLE "token_critic_scores" ALTER COLUMN "run_id" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "token_critic_scores" ALTER COLUMN "sample_index" SET NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" DROP CONSTRAINT "FK_7911ff3f02968a7ddad36356cc2"`,
    );
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" DROP CONSTRAINT "PK_c6a3c2a5c0219ce1144dabb05c6"`,
    );
    await queryRunner.query(`ALTER TABLE "token_critic_scores" DROP COLUMN "sample_id"`);

    // samples: the primary key (run_id, sample_index) replaces id and both indexes; the sequence goes with id.
    await queryRunner.query(`ALTER TABLE "samples" DROP CONSTRAINT "uq_samples_run_shard_index"`);
    await queryRunner.query(`DROP INDEX "public"."idx_samples_run_sample_index"`);
    await queryRunner.query(`ALTER TABLE "samples" DROP CONSTRAINT "PK_d68b5b3bd25a6851b033fb63444"`);
    await queryRunner.query(`ALTER TABLE "samples" DROP COLUMN "id"`);
    await queryRunner.query(
      `ALTER TABLE "samples" ADD CONSTRAINT "pk_samples" PRIMARY KEY ("run_id", "sample_index")`,
    );
    await queryRunner.query(`ALTER TABLE "samples" ALTER COLUMN "values" SET STORAGE EXTERNAL`);

    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" ADD CONSTRAINT "PK_6ed347485473ff02542cf1e5794"
         PRIMARY KEY ("run_id", "sample_index", "phase", "band")`,
    );
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" ADD CONSTRAINT "FK_dcc185f194d13e2fb2ed977b00f"
         FOREIGN KEY ("run_id", "sample_index") REFERENCES "samples"("run_id", "sample_index")
         ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" DROP CONSTRAINT "FK_dcc185f194d13e2fb2ed977b00f"`,
    );
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" DROP CONSTRAINT "PK_6ed347485473ff02542cf1e5794"`,
    );

    // samples: a new serial id for every row (the old ids are gone), in the order the rows are stored.
    await queryRunner.query(`ALTER TABLE "samples" ALTER COLUMN "values" SET STORAGE EXTENDED`);
    await queryRunner.query(`ALTER TABLE "samples" DROP CONSTRAINT "pk_samples"`);
    await queryRunner.query(`ALTER TABLE "samples" ADD "id" BIGSERIAL NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "samples" ADD CONSTRAINT "PK_d68b5b3bd25a6851b033fb63444" PRIMARY KEY ("id")`,
    );
    await queryRunner.query(
      `ALTER TABLE "samples" ADD CONSTRAINT "uq_samples_run_shard_index" UNIQUE ("run_id", "shard_index", "sample_index")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_samples_run_sample_index" ON "samples" ("run_id", "sample_index")`,
    );

    await queryRunner.query(`ALTER TABLE "token_critic_scores" ADD "sample_id" bigint`);
    await queryRunner.query(
      `UPDATE "token_critic_scores" AS t SET "sample_id" = s.id
         FROM "samples" AS s WHERE s.run_id = t.run_id AND s.sample_index = t.sample_index`,
    );
    await queryRunner.query(`ALTER TABLE "token_critic_scores" ALTER COLUMN "sample_id" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "token_critic_scores" DROP COLUMN "sample_index"`);
    await queryRunner.query(`ALTER TABLE "token_critic_scores" DROP COLUMN "run_id"`);
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" ADD CONSTRAINT "PK_c6a3c2a5c0219ce1144dabb05c6" PRIMARY KEY ("sample_id", "phase", "band")`,
    );
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" ADD CONSTRAINT "FK_7911ff3f02968a7ddad36356cc2" FOREIGN KEY ("sample_id") REFERENCES "samples"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }
}
