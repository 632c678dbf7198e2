/**
 * Dependency rules of the workspace (docs/architecture.md): apps → services → domain; adapters implement domain
 * ports; the domain does no I/O. `npm run lint` fails on a violation.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      comment: 'The domain has no I/O and depends on no other workspace package and no node: module.',
      severity: 'error',
      from: { path: '^packages/domain/src' },
      to: {
        path: [
          '^packages/(?!domain/)',
          '^apps/',
          'node_modules/(pg|@electric-sql|drizzle-orm|fastify|ws|nats)',
          '^(node:)?(fs|net|http|https|child_process|dgram|tls)',
        ],
      },
    },
    {
      name: 'packages-never-import-apps',
      severity: 'error',
      from: { path: '^packages/(?!testkit/)' },
      to: { path: '^apps/' },
    },
    {
      name: 'services-use-ports-not-adapters',
      comment: 'Services depend on domain ports; adapters are chosen by the composition root.',
      severity: 'error',
      from: { path: '^packages/services/src' },
      to: { path: '^packages/(runtime-local|runtime-kubernetes|backups|event-bus|plugins)/' },
    },
    {
      name: 'adapters-do-not-use-services',
      severity: 'error',
      from: { path: '^packages/(runtime-local|runtime-kubernetes|backups|event-bus|plugins|db)/src' },
      to: { path: '^packages/services/' },
    },
    {
      name: 'production-code-does-not-use-testkit',
      severity: 'error',
      from: { path: '^(packages|apps)/[^/]+/src/(?!.*\\.test\\.ts$)', pathNot: '^packages/testkit/' },
      to: { path: '^packages/testkit/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
