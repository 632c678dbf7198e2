-- Row-level security: every tenant-owned table answers only the rows of the tenant set in
-- `app.tenant` for the transaction, and refuses to write rows of another tenant. FORCE makes this
-- hold for the table owner too. The application role `minefleet_app` (NOSUPERUSER NOBYPASSRLS) is
-- created by the migrator before this runs (roles are cluster-wide, so it is done idempotently in code).
ALTER TABLE "memberships" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "memberships" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "memberships" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "memberships" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "api_keys" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "api_keys" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "api_keys" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "api_keys" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "servers" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "servers" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "servers" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "servers" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "server_config_revisions" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "server_config_revisions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "server_config_revisions" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "server_config_revisions" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "server_plugins" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "server_plugins" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "server_plugins" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "server_plugins" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "backups" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "backups" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "backups" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "backups" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "retention_policies" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "retention_policies" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "retention_policies" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "retention_policies" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "schedules" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "schedules" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "schedules" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "schedules" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "schedule_runs" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "schedule_runs" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "schedule_runs" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "schedule_runs" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "metrics_samples" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "metrics_samples" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "metrics_samples" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "metrics_samples" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "player_sessions" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "player_sessions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "player_sessions" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "player_sessions" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "audit_events" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_events" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "audit_events" USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "audit_events" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "tenants" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "tenants" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "tenants" USING (id = NULLIF(current_setting('app.tenant', true), '')::uuid) WITH CHECK (id = NULLIF(current_setting('app.tenant', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, UPDATE ON "tenants" TO minefleet_app;
--> statement-breakpoint
ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "member_visibility" ON "users" FOR SELECT USING (id = NULLIF(current_setting('app.user', true), '')::uuid OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid));
--> statement-breakpoint
GRANT SELECT ON "users" TO minefleet_app;
--> statement-breakpoint
GRANT SELECT ON "skus", "plugins", "plugin_versions" TO minefleet_app;
