import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How far the running attempt of a shard has got (0..1: sampling, then storing). A shard's samples are stored in
 * the one transaction that completes it, so samples_stored stays 0 until then; this column is what moves a
 * one-shard run's progress before its end (issue 20 item 8).
 */
export class ShardProgress1764530000000 implements MigrationInterface {
  name = 'ShardProgress1764530000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "shards" ADD "progress" double precision NOT NULL DEFAULT 0
         CONSTRAINT "ck_shards_progress" CHECK (progress >= 0 AND progress <= 1)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "shards" DROP COLUMN "progress"`);
  }
}
