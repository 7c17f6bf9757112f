import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Shards count the samples they stored (GET /runs read a count(*) over samples per run); backfilled. */
export class ShardSamplesStored1764470000000 implements MigrationInterface {
  name = 'ShardSamplesStored1764470000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "shards" ADD "samples_stored" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(
      `UPDATE "shards" AS s SET "samples_stored" = c.n
         FROM (SELECT run_id, shard_index, count(*)::int AS n FROM "samples" GROUP BY run_id, shard_index) AS c
        WHERE s.run_id = c.run_id AND s.shard_index = c.shard_index`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "shards" DROP COLUMN "samples_stored"`);
  }
}
