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
      name: 'only-public-modules',
      comment:
        "Another package's modules are imported by the subpaths its package.json exports (its public face, " +
        'docs/architecture.md); a module left out of that map does not resolve.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^@minefleet/' },
    },
    {
      name: 'no-relative-paths-into-other-workspaces',
      comment:
        'A relative path into another package or app bypasses its exports: import `@minefleet/<pkg>/<module>`.',
      severity: 'error',
      from: { path: '^(packages|apps)/([^/]+)/' },
      to: { dependencyTypes: ['local'], path: '^(packages|apps)/', pathNot: '^$1/$2/' },
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
    // `@minefleet/<pkg>/<module>` resolves to the source of an exported subpath (scripts/depcruise-resolve.mjs),
    // so the rules above see edges between packages without a build.
    webpackConfig: { fileName: 'scripts/depcruise-resolve.mjs' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
