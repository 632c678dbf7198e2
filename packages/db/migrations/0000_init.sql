CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"actor_user_id" uuid,
	"actor_api_key_id" uuid,
	"action" text NOT NULL,
	"target_type" text,
	"target_id" text,
	"server_id" uuid,
	"outcome" text NOT NULL,
	"status_code" integer,
	"request_id" text,
	"ip" text,
	"details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_events_outcome_check" CHECK (outcome IN ('success', 'failure'))
);
--> statement-breakpoint
CREATE TABLE "backups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"server_name" text NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"type" text DEFAULT 'manual' NOT NULL,
	"compression" text DEFAULT 'gzip' NOT NULL,
	"size_bytes" bigint DEFAULT 0 NOT NULL,
	"sha256" text,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"description" text,
	"storage_key" text NOT NULL,
	"minecraft_version" text,
	"distribution" text,
	"locked" boolean DEFAULT false NOT NULL,
	"worker_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"error" text,
	CONSTRAINT "backups_status_check" CHECK (status IN ('pending', 'running', 'completed', 'failed', 'restoring')),
	CONSTRAINT "backups_type_check" CHECK (type IN ('manual', 'scheduled', 'pre_restore', 'pre_delete')),
	CONSTRAINT "backups_compression_check" CHECK (compression IN ('none', 'gzip', 'zstd'))
);
--> statement-breakpoint
CREATE TABLE "leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memberships" (
	"tenant_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "memberships_tenant_id_user_id_pk" PRIMARY KEY("tenant_id","user_id"),
	CONSTRAINT "memberships_role_check" CHECK (role IN ('viewer', 'operator', 'admin', 'owner'))
);
--> statement-breakpoint
CREATE TABLE "metrics_samples" (
	"tenant_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"resolution" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"players_online" integer,
	"max_players" integer,
	"cpu_percent" double precision,
	"memory_bytes" bigint,
	"disk_bytes" bigint,
	"tps" double precision,
	"mspt" double precision,
	"ping_ms" double precision,
	"uptime_seconds" integer,
	CONSTRAINT "metrics_samples_server_id_resolution_ts_pk" PRIMARY KEY("server_id","resolution","ts"),
	CONSTRAINT "metrics_samples_resolution_check" CHECK (resolution IN ('raw', '1m', '1h'))
);
--> statement-breakpoint
CREATE TABLE "player_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"player_name" text NOT NULL,
	"player_uuid" text,
	"joined_at" timestamp with time zone NOT NULL,
	"left_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "plugin_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"plugin_id" text NOT NULL,
	"version" text NOT NULL,
	"minecraft_versions" jsonb NOT NULL,
	"distributions" jsonb NOT NULL,
	"dependencies" jsonb NOT NULL,
	"download_url" text NOT NULL,
	"file_name" text NOT NULL,
	"sha256" text,
	"sha512" text,
	"size_bytes" bigint NOT NULL,
	"approval" text DEFAULT 'pending' NOT NULL,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plugin_versions_approval_check" CHECK (approval IN ('approved', 'pending', 'rejected'))
);
--> statement-breakpoint
CREATE TABLE "plugins" (
	"id" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"source_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category" text DEFAULT 'misc' NOT NULL,
	"author" text DEFAULT '' NOT NULL,
	"homepage" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "port_allocations" (
	"port" integer PRIMARY KEY NOT NULL,
	"server_id" uuid NOT NULL,
	"allocated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "port_allocations_server_id_unique" UNIQUE("server_id")
);
--> statement-breakpoint
CREATE TABLE "retention_policies" (
	"server_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"keep_last" integer,
	"keep_daily" integer,
	"keep_weekly" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schedule_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"schedule_id" uuid NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"status" text DEFAULT 'running' NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"name" text,
	"cron" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"action" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"last_status" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "schedules_action_check" CHECK (action IN ('backup', 'restart', 'command'))
);
--> statement-breakpoint
CREATE TABLE "server_config_revisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"revision" integer NOT NULL,
	"snapshot" jsonb NOT NULL,
	"changes" jsonb NOT NULL,
	"actor_user_id" uuid,
	"rollback_of" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_plugins" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"plugin_id" text NOT NULL,
	"version" text NOT NULL,
	"status" text DEFAULT 'installing' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"as_dependency" boolean DEFAULT false NOT NULL,
	"config_overrides" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"file_name" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_plugins_status_check" CHECK (status IN ('installing', 'installed', 'failed', 'disabled'))
);
--> statement-breakpoint
CREATE TABLE "servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"sku_id" text NOT NULL,
	"distribution" text NOT NULL,
	"minecraft_version" text NOT NULL,
	"status" text DEFAULT 'deploying' NOT NULL,
	"desired_state" text DEFAULT 'stopped' NOT NULL,
	"status_reason" text,
	"cpu_millicores" integer NOT NULL,
	"memory_mb" integer NOT NULL,
	"storage_mb" integer NOT NULL,
	"max_players" integer NOT NULL,
	"server_properties" jsonb NOT NULL,
	"config_revision" integer DEFAULT 0 NOT NULL,
	"port" integer,
	"generation" integer DEFAULT 0 NOT NULL,
	"crash_count" integer DEFAULT 0 NOT NULL,
	"last_crash_at" timestamp with time zone,
	"players_online" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	CONSTRAINT "servers_status_check" CHECK (status IN ('deploying', 'stopped', 'starting', 'running', 'stopping', 'sleeping', 'crashed', 'failed', 'restoring', 'deleting')),
	CONSTRAINT "servers_desired_state_check" CHECK (desired_state IN ('running', 'stopped', 'sleeping')),
	CONSTRAINT "servers_distribution_check" CHECK (distribution IN ('flying-squid', 'paper', 'vanilla', 'purpur', 'fabric'))
);
--> statement-breakpoint
CREATE TABLE "skus" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL,
	"cpu_millicores" integer NOT NULL,
	"memory_mb" integer NOT NULL,
	"storage_mb" integer NOT NULL,
	"max_players" integer NOT NULL,
	"monthly_price_cents" integer NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"default_properties" jsonb NOT NULL,
	"backup_storage_bytes" bigint NOT NULL,
	"available" boolean DEFAULT true NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"max_servers" integer,
	"max_memory_mb" integer,
	"backup_storage_bytes" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"display_name" text NOT NULL,
	"is_platform_admin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plugin_versions" ADD CONSTRAINT "plugin_versions_plugin_id_plugins_id_fk" FOREIGN KEY ("plugin_id") REFERENCES "public"."plugins"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "retention_policies" ADD CONSTRAINT "retention_policies_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_id_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."schedules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_config_revisions" ADD CONSTRAINT "server_config_revisions_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_plugins" ADD CONSTRAINT "server_plugins_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_plugins" ADD CONSTRAINT "server_plugins_plugin_id_plugins_id_fk" FOREIGN KEY ("plugin_id") REFERENCES "public"."plugins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_sku_id_skus_id_fk" FOREIGN KEY ("sku_id") REFERENCES "public"."skus"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "api_keys_tenant_idx" ON "api_keys" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "audit_events_tenant_time_idx" ON "audit_events" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "backups_server_name_key" ON "backups" USING btree ("server_id","name");--> statement-breakpoint
CREATE INDEX "backups_tenant_server_idx" ON "backups" USING btree ("tenant_id","server_id","created_at");--> statement-breakpoint
CREATE INDEX "backups_expires_idx" ON "backups" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "memberships_user_idx" ON "memberships" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "player_sessions_server_idx" ON "player_sessions" USING btree ("server_id","joined_at");--> statement-breakpoint
CREATE UNIQUE INDEX "plugin_versions_plugin_version_key" ON "plugin_versions" USING btree ("plugin_id","version");--> statement-breakpoint
CREATE INDEX "plugins_category_idx" ON "plugins" USING btree ("category");--> statement-breakpoint
CREATE UNIQUE INDEX "schedule_runs_schedule_time_key" ON "schedule_runs" USING btree ("schedule_id","scheduled_for");--> statement-breakpoint
CREATE INDEX "schedules_next_run_idx" ON "schedules" USING btree ("next_run_at");--> statement-breakpoint
CREATE UNIQUE INDEX "server_config_revisions_server_rev_key" ON "server_config_revisions" USING btree ("server_id","revision");--> statement-breakpoint
CREATE UNIQUE INDEX "server_plugins_server_plugin_key" ON "server_plugins" USING btree ("server_id","plugin_id");--> statement-breakpoint
CREATE UNIQUE INDEX "servers_tenant_name_key" ON "servers" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE INDEX "servers_tenant_created_idx" ON "servers" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "servers_status_idx" ON "servers" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree ("email");