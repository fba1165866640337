// `npm run docs`: the documentation site in docs-site/ (git-ignored): the API reference of every
// entry point, generated from the TSDoc (things tagged @internal left out), with the README as its
// home page, and the guides of docs/guides/ (in file-name order) and BENCHMARKS.md beside it.

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  name: 'rxmode',
  entryPoints: [
    'lib/index.ts',
    'lib/testing/index.ts',
    'lib/node/index.ts',
    'lib/otel/index.ts',
    'lib/prometheus/index.ts',
    'lib/angular/index.ts',
    'lib/lease/postgres/index.ts',
    'lib/lease/redis/index.ts',
    'lib/lease/etcd/index.ts',
  ],
  tsconfig: 'tsconfig.docs.json',
  // Names the modules after their imports ('rxmode/node'), with a one-line summary each.
  plugin: ['./scripts/typedoc-plugin.mjs'],
  out: 'docs-site',
  readme: 'README.md',
  projectDocuments: ['docs/guides/*.md', 'BENCHMARKS.md'],
  // The languages the guides and the TSDoc use (TypeDoc's default list has no sql).
  highlightLanguages: [
    'ts',
    'typescript',
    'js',
    'javascript',
    'json',
    'sh',
    'bash',
    'yaml',
    'sql',
    'text',
    'html',
    'css',
  ],
  excludeInternal: true,
  excludePrivate: true,
  excludeExternals: true,
  // No public repository URL to link sources to.
  disableSources: true,
  // Types that appear in public signatures but are not exported on purpose: the receiver list and
  // common base behind Signal and SyncSignal, the strategy record a Supervisor subclass passes to
  // its protected constructor, and the two base classes Service is built on (its tree side and its
  // waits), whose members are documented on Service.
  intentionallyNotExported: ['ReceiverList', 'SignalBase', 'Strategy', 'ServiceNode'],
  validation: { notExported: true, invalidLink: true, rewrittenLink: true },
  navigation: { includeCategories: false, includeGroups: true, includeFolders: false },
};

export default config;
