import { Ajv } from 'ajv';
import { flyingSquidVersions } from '@minefleet/runtime-local/flying-squid-runtime';
import { JAVA_DISTRIBUTIONS, MEMORY_FLOOR_MIB, SpecSchema, type MinecraftServerSpec } from './schema.js';

// Ajv fills in `default`s the way the API server does and ignores the x-kubernetes-* keywords (their CEL
// rules are crossFieldProblems below). Compiled once per process; the schema never changes at run time.
const validateSpecSchema = new Ajv({ strict: false, useDefaults: true, allErrors: true }).compile(
  JSON.parse(JSON.stringify(SpecSchema)) as object,
);

export type SpecCheck = { ok: true; spec: MinecraftServerSpec } | { ok: false; problems: string[] };

/** Mebibytes of a memory quantity the schema accepts (`512Mi`, `2Gi`). */
export function memoryMiB(quantity: string): number {
  const n = Number(quantity.slice(0, -2));
  return quantity.endsWith('Gi') ? n * 1024 : n;
}

/** The cross-field rules of SPEC_RULES (CEL on the API server), in TypeScript. */
export function crossFieldProblems(spec: MinecraftServerSpec): string[] {
  const problems: string[] = [];
  const java = (JAVA_DISTRIBUTIONS as string[]).includes(spec.server.distribution);
  if (java && spec.eula !== true) problems.push('spec.eula must be true to run a Java distribution');
  const mib = memoryMiB(spec.resources.memory);
  const floor = java ? MEMORY_FLOOR_MIB.java : MEMORY_FLOOR_MIB.flyingSquid;
  if (mib < floor) problems.push(`spec.resources.memory must be at least ${floor}Mi`);
  if (java && (spec.preStartCommands?.length ?? 0) > 0)
    problems.push('spec.preStartCommands needs the launcher of the flying-squid image; the Java image has none');
  if (java && spec.state === 'Maintenance')
    problems.push('spec.state Maintenance needs the in-pod agent of the flying-squid image; the Java image has none');
  if (spec.server.distribution === 'flying-squid' && !flyingSquidVersions().includes(spec.server.version))
    problems.push('spec.server.version is not a version flying-squid supports');
  return problems;
}

/**
 * Validates a spec as read from the API server, with the schema's defaults filled in. The API server
 * already enforced the same schema; this guards against objects written before a schema change and
 * gives the reconciler a typed value.
 */
export function checkSpec(raw: unknown): SpecCheck {
  const spec = structuredClone(raw ?? {}) as MinecraftServerSpec;
  if (!validateSpecSchema(spec)) {
    const problems = (validateSpecSchema.errors ?? []).map(
      (e) => `spec${e.instancePath.replaceAll('/', '.')}: ${e.message ?? 'is invalid'}`,
    );
    return { ok: false, problems };
  }
  const cross = crossFieldProblems(spec);
  return cross.length > 0 ? { ok: false, problems: cross } : { ok: true, spec };
}
