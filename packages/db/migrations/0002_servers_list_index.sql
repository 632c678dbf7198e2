DROP INDEX "servers_tenant_created_idx";--> statement-breakpoint
CREATE INDEX "servers_tenant_created_idx" ON "servers" USING btree ("tenant_id","created_at","id");