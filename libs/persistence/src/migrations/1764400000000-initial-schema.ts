import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: teams and API keys, datasets, models and checkpoints, runs, shards, samples, critic scores, metrics. */
export class InitialSchema1764400000000 implements MigrationInterface {
  name = 'InitialSchema1764400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "team_id" uuid NOT NULL, "name" text NOT NULL, "prefix" text NOT NULL, "key_hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_api_keys_team_id" ON "api_keys" ("team_id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys" ("key_hash")`);
    await queryRunner.query(
      `CREATE TABLE "teams" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "is_admin" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_48c0c32e6247a2de155baeaf980" UNIQUE ("name"), CONSTRAINT "PK_7e5523774a38b08a6236d322403" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "datasets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "team_id" uuid NOT NULL, "name" text NOT NULL, "source_kind" text NOT NULL, "source_details" jsonb NOT NULL DEFAULT '{}', "series_length" integer NOT NULL, "class_names" jsonb NOT NULL, "train_count" integer NOT NULL, "test_count" integer NOT NULL, "scaling" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_datasets_team_name" UNIQUE ("team_id", "name"), CONSTRAINT "ck_datasets_source_kind" CHECK (source_kind IN ('upload', 'synthetic', 'builtin')), CONSTRAINT "PK_1bf831e43c559a240303e23d038" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_datasets_team_id" ON "datasets" ("team_id")`);
    await queryRunner.query(
      `CREATE TABLE "dataset_series" ("dataset_id" uuid NOT NULL, "split" text NOT NULL, "series_index" integer NOT NULL, "class_index" integer, "values" bytea NOT NULL, CONSTRAINT "ck_dataset_series_split" CHECK (split IN ('train', 'test')), CONSTRAINT "PK_5647ce611412e2cafd94a78eb2f" PRIMARY KEY ("dataset_id", "split", "series_index"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "models" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "team_id" uuid NOT NULL, "dataset_id" uuid NOT NULL, "name" text NOT NULL, "status" text NOT NULL DEFAULT 'pending', "hyperparameters" jsonb NOT NULL DEFAULT '{}', "progress" jsonb NOT NULL DEFAULT '{}', "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_models_status" CHECK (status IN ('pending', 'training', 'ready', 'failed', 'cancelled')), CONSTRAINT "PK_ef9ed7160ea69013636466bf2d5" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_models_team_id" ON "models" ("team_id")`);
    await queryRunner.query(`CREATE INDEX "idx_models_dataset_id" ON "models" ("dataset_id")`);
    await queryRunner.query(
      `CREATE TABLE "runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "team_id" uuid NOT NULL, "model_id" uuid, "kind" text NOT NULL, "status" text NOT NULL DEFAULT 'queued', "params" jsonb NOT NULL DEFAULT '{}', "seed" bigint NOT NULL, "progress" double precision NOT NULL DEFAULT '0', "total_shards" integer NOT NULL DEFAULT '0', "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_runs_progress" CHECK (progress >= 0 AND progress <= 1), CONSTRAINT "ck_runs_status" CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')), CONSTRAINT "ck_runs_kind" CHECK (kind IN ('train', 'generate', 'evaluate')), CONSTRAINT "PK_46d6a1e257c38ba58f1a3c30836" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_runs_model_id" ON "runs" ("model_id")`);
    await queryRunner.query(`CREATE INDEX "idx_runs_team_created" ON "runs" ("team_id", "created_at")`);
    await queryRunner.query(
      `CREATE TABLE "metrics" ("id" BIGSERIAL NOT NULL, "run_id" uuid NOT NULL, "name" text NOT NULL, "value" double precision NOT NULL, "details" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5283cad666a83376e28a715bf0e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_metrics_run_name" ON "metrics" ("run_id", "name")`);
    await queryRunner.query(
      `CREATE TABLE "model_checkpoints" ("model_id" uuid NOT NULL, "stage" text NOT NULL, "bytes" bytea NOT NULL, "content_sha256" character(64) NOT NULL, "byte_size" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_model_checkpoints_stage" CHECK (stage IN ('stage1', 'prior', 'critic', 'classifier')), CONSTRAINT "PK_7cfb6fe43555e18c538f1e39f3c" PRIMARY KEY ("model_id", "stage"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "samples" ("id" BIGSERIAL NOT NULL, "run_id" uuid NOT NULL, "shard_index" integer NOT NULL, "sample_index" integer NOT NULL, "class_index" integer, "values" bytea NOT NULL, "tokens_lf" bytea, "tokens_hf" bytea, "critic_mean" real, "critic_max" real, "remasked_count" integer, CONSTRAINT "uq_samples_run_shard_index" UNIQUE ("run_id", "shard_index", "sample_index"), CONSTRAINT "PK_d68b5b3bd25a6851b033fb63444" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "shards" ("run_id" uuid NOT NULL, "shard_index" integer NOT NULL, "status" text NOT NULL DEFAULT 'queued', "sample_offset" bigint NOT NULL, "sample_count" integer NOT NULL, "seed" bigint NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "error" text, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_shards_status" CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')), CONSTRAINT "PK_aeb03a4db1d6e37ca160c625518" PRIMARY KEY ("run_id", "shard_index"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "token_critic_scores" ("sample_id" bigint NOT NULL, "phase" text NOT NULL, "band" text NOT NULL, "scores" bytea NOT NULL, "remasked_mask" bytea, CONSTRAINT "ck_token_critic_scores_band" CHECK (band IN ('lf', 'hf')), CONSTRAINT "ck_token_critic_scores_phase" CHECK (phase IN ('before', 'after')), CONSTRAINT "PK_c6a3c2a5c0219ce1144dabb05c6" PRIMARY KEY ("sample_id", "phase", "band"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_keys" ADD CONSTRAINT "FK_dab6f38770515f36935b6f53963" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "datasets" ADD CONSTRAINT "FK_c81077b43a8d859d05873593716" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "dataset_series" ADD CONSTRAINT "FK_624cbf508269e29b6df0941730e" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "models" ADD CONSTRAINT "FK_dcb5eb1c5d3628cfe92aba7673f" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "models" ADD CONSTRAINT "FK_90afea9658cd59cf414b60e192b" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "runs" ADD CONSTRAINT "FK_88c524727f1009f09d055a9551e" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "runs" ADD CONSTRAINT "FK_ed9dbc6ffa02ebe49d5dba9e781" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "metrics" ADD CONSTRAINT "FK_ff0657321891b40cbbbb3fa6bb7" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "model_checkpoints" ADD CONSTRAINT "FK_a9febf7d92e2d85c5ffb1c9fefb" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "samples" ADD CONSTRAINT "FK_d84391e6440e5e8dc9a6bea2987" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "shards" ADD CONSTRAINT "FK_bf6f0e813a037e43323905b8b5b" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" ADD CONSTRAINT "FK_7911ff3f02968a7ddad36356cc2" FOREIGN KEY ("sample_id") REFERENCES "samples"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "token_critic_scores" DROP CONSTRAINT "FK_7911ff3f02968a7ddad36356cc2"`,
    );
    await queryRunner.query(`ALTER TABLE "shards" DROP CONSTRAINT "FK_bf6f0e813a037e43323905b8b5b"`);
    await queryRunner.query(`ALTER TABLE "samples" DROP CONSTRAINT "FK_d84391e6440e5e8dc9a6bea2987"`);
    await queryRunner.query(
      `ALTER TABLE "model_checkpoints" DROP CONSTRAINT "FK_a9febf7d92e2d85c5ffb1c9fefb"`,
    );
    await queryRunner.query(`ALTER TABLE "metrics" DROP CONSTRAINT "FK_ff0657321891b40cbbbb3fa6bb7"`);
    await queryRunner.query(`ALTER TABLE "runs" DROP CONSTRAINT "FK_ed9dbc6ffa02ebe49d5dba9e781"`);
    await queryRunner.query(`ALTER TABLE "runs" DROP CONSTRAINT "FK_88c524727f1009f09d055a9551e"`);
    await queryRunner.query(`ALTER TABLE "models" DROP CONSTRAINT "FK_90afea9658cd59cf414b60e192b"`);
    await queryRunner.query(`ALTER TABLE "models" DROP CONSTRAINT "FK_dcb5eb1c5d3628cfe92aba7673f"`);
    await queryRunner.query(`ALTER TABLE "dataset_series" DROP CONSTRAINT "FK_624cbf508269e29b6df0941730e"`);
    await queryRunner.query(`ALTER TABLE "datasets" DROP CONSTRAINT "FK_c81077b43a8d859d05873593716"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "FK_dab6f38770515f36935b6f53963"`);
    await queryRunner.query(`DROP TABLE "token_critic_scores"`);
    await queryRunner.query(`DROP TABLE "shards"`);
    await queryRunner.query(`DROP TABLE "samples"`);
    await queryRunner.query(`DROP TABLE "model_checkpoints"`);
    await queryRunner.query(`DROP INDEX "public"."idx_metrics_run_name"`);
    await queryRunner.query(`DROP TABLE "metrics"`);
    await queryRunner.query(`DROP INDEX "public"."idx_runs_team_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_runs_model_id"`);
    await queryRunner.query(`DROP TABLE "runs"`);
    await queryRunner.query(`DROP INDEX "public"."idx_models_dataset_id"`);
    await queryRunner.query(`DROP INDEX "public"."idx_models_team_id"`);
    await queryRunner.query(`DROP TABLE "models"`);
    await queryRunner.query(`DROP TABLE "dataset_series"`);
    await queryRunner.query(`DROP INDEX "public"."idx_datasets_team_id"`);
    await queryRunner.query(`DROP TABLE "datasets"`);
    await queryRunner.query(`DROP TABLE "teams"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_keys_key_hash"`);
    await queryRunner.query(`DROP INDEX "public"."idx_api_keys_team_id"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
