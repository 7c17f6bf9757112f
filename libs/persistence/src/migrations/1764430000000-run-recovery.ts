import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the run reconciler needs to find a run's current flow and to bound how often it re-enqueues it. */
export class RunRecovery1764430000000 implements MigrationInterface {
  name = 'RunRecovery1764430000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "runs" ADD "flow_tag" text NOT NULL DEFAULT 'a',
         ADD "flow_enqueued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
         ADD "recoveries" integer NOT NULL DEFAULT 0`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "runs" DROP COLUMN "recoveries", DROP COLUMN "flow_enqueued_at", DROP COLUMN "flow_tag"`,
    );
  }
}
