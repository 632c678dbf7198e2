ALTER TABLE "servers" ADD COLUMN "last_port" integer;--> statement-breakpoint
-- Game ports are now held from start to stop: servers at rest give theirs back and remember it.
UPDATE "servers" SET "last_port" = "port" WHERE "port" IS NOT NULL;--> statement-breakpoint
DELETE FROM "port_allocations" USING "servers" WHERE "servers"."id" = "port_allocations"."server_id" AND "servers"."status" IN ('deploying', 'stopped', 'failed', 'sleeping') AND "servers"."desired_state" <> 'running';--> statement-breakpoint
UPDATE "servers" SET "port" = NULL WHERE "status" IN ('deploying', 'stopped', 'failed', 'sleeping') AND "desired_state" <> 'running';
