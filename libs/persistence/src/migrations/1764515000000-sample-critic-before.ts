import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each ESS sample's mean LF critic code distance before ESS, next to critic_mean (after), so a sample ESS made
 * worse in the critic's eyes can be flagged and filtered (issue 20 item 6). Null for naive and synthetic samples
 * and for samples stored before this column.
 */
export class SampleCriticBefore1764515000000 implements MigrationInterface {
  name = 'SampleCriticBefore1764515000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "samples" ADD "critic_mean_before" real`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "samples" DROP COLUMN "critic_mean_before"`);
  }
}
