ALTER TABLE "servers" ADD COLUMN "region" text DEFAULT 'local' NOT NULL;
