ALTER TABLE "sessions" ADD COLUMN "method" text DEFAULT 'password' NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "sso_only" boolean DEFAULT false NOT NULL;