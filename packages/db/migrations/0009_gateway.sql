CREATE TABLE "server_gateway" (
	"server_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"sleep_enabled" boolean DEFAULT false NOT NULL,
	"idle_after_seconds" integer DEFAULT 600 NOT NULL,
	"sleep_mode" text DEFAULT 'stop' NOT NULL,
	"freeze_max_seconds" integer DEFAULT 3600 NOT NULL,
	"proxy_protocol" boolean DEFAULT false NOT NULL,
	"wakers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_status" jsonb,
	"last_status_at" timestamp with time zone,
	"start_durations_ms" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"asleep_since" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_hostnames" (
	"hostname" text PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_wakes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"player" text,
	"from_status" text NOT NULL,
	"outcome" text NOT NULL,
	"duration_ms" integer,
	"asleep_ms" bigint,
	"message" text
);
--> statement-breakpoint
CREATE TABLE "tenant_slugs" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	CONSTRAINT "tenant_slugs_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
ALTER TABLE "servers" DROP CONSTRAINT "servers_status_check";--> statement-breakpoint
ALTER TABLE "server_gateway" ADD CONSTRAINT "server_gateway_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_hostnames" ADD CONSTRAINT "server_hostnames_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_wakes" ADD CONSTRAINT "server_wakes_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_slugs" ADD CONSTRAINT "tenant_slugs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "server_hostnames_server_idx" ON "server_hostnames" USING btree ("server_id");--> statement-breakpoint
CREATE INDEX "server_wakes_server_at_idx" ON "server_wakes" USING btree ("server_id","at");--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_status_check" CHECK (status IN ('deploying', 'stopped', 'starting', 'running', 'stopping', 'sleeping', 'frozen', 'crashed', 'failed', 'restoring', 'deleting'));--> statement-breakpoint
ALTER TABLE "server_gateway" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "server_gateway" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "server_gateway" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "server_gateway" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "server_hostnames" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "server_hostnames" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "server_hostnames" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "server_hostnames" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "server_wakes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "server_wakes" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "server_wakes" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "server_wakes" TO minefleet_app;
--> statement-breakpoint
GRANT SELECT ON "tenant_slugs" TO minefleet_app;
