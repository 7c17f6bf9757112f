import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency-Key of creating requests, per team, with the response replayed to retries (issue 21). */
export class IdempotencyKeys1764480000000 implements MigrationInterface {
  name = 'IdempotencyKeys1764480000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "idempotency_keys" ("team_id" uuid NOT NULL, "key" text NOT NULL, "request" text NOT NULL, "request_hash" character(64) NOT NULL, "response_status" integer, "response_body" json, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_761ce71e3aa89d8a94544002d3c" PRIMARY KEY ("team_id", "key"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_idempotency_keys_expires_at" ON "idempotency_keys" ("expires_at")`,
    );
    await queryRunner.query(
      `ALTER TABLE "idempotency_keys" ADD CONSTRAINT "FK_de7a87b73c797c066ac3b41bd4b" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "idempotency_keys" DROP CONSTRAINT "FK_de7a87b73c797c066ac3b41bd4b"`,
    );
    await queryRunner.query(`DROP INDEX "public"."idx_idempotency_keys_expires_at"`);
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
  }
}
