/* global module -- dependency-cruiser reads a CommonJS config */
/**
 * The layering of src/ (ARCHITECTURE.md, "Layers"), checked by `npm run lint:deps` in `npm test`,
 * so that the map stays true. Each layer may import only the layers below it; no file cycle, no
 * folder cycle. There is no baseline of known violations: every violation fails the run.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */

// Bottom → top. A file matching a layer's paths may import only files of the layers before it,
// and files of its own layer (subject to the cycle rules).
const LAYERS = [
  { name: 'model', paths: ['^src/model/'] },
  { name: 'errors', paths: ['^src/errors[.]ts$', '^src/redact[.]ts$'] },
  { name: 'pg', paths: ['^src/pg/'] },
  { name: 'catalog-wal-store', paths: ['^src/catalog/', '^src/wal/', '^src/store/'] },
  // The workers' job queue (issue 15): an adapter over pg-boss that the full load's coordinator
  // and the workers (task/start-worker.ts) share; it knows connections and the model's job types.
  { name: 'queue', paths: ['^src/queue/'] },
  // What a task migrates, resolved once from the catalog and stored (the manifest change of issue
  // 12 adds this folder); every stage folder reads it.
  { name: 'manifest', paths: ['^src/manifest/'] },
  // The stage folders, in the order they build on each other: schema/ needs only the layers
  // below; the full load runs the schema's post-data; the apply reads the load's sync points;
  // verify reads which tables the load finished; complete drains the apply and runs verify; the
  // precheck, on top, checks what each of them will need (the publication coverage of the load,
  // the cutover fence, the apply's origins).
  { name: 'schema', paths: ['^src/schema/'] },
  { name: 'fullload', paths: ['^src/fullload/'] },
  { name: 'apply', paths: ['^src/apply/'] },
  { name: 'verify', paths: ['^src/verify/'] },
  { name: 'complete', paths: ['^src/complete/'] },
  { name: 'precheck', paths: ['^src/precheck/'] },
  { name: 'stage', paths: ['^src/stage/'] },
  { name: 'task', paths: ['^src/task/'] },
  { name: 'api', paths: ['^src/index[.]ts$', '^src/internals[.]ts$'] },
  { name: 'cli', paths: ['^src/cli/'] },
]

// One rule per layer: nothing in it imports a layer above it. model/ has its own, stricter rules
// below (it may import the types of errors.ts and nothing else), so these start above it.
const layerRules = LAYERS.map((layer, i) => ({
  name: `layer-${layer.name}`,
  severity: 'error',
  comment:
    `${layer.name} imports a higher layer. Move the shared type or constant down (into src/model/ ` +
    `if it is a pure type), or move the importing code up; see ARCHITECTURE.md "Layers".`,
  from: { path: layer.paths },
  to: { path: LAYERS.slice(i + 1).flatMap((l) => l.paths) },
})).filter((_, i) => i > 0 && i < LAYERS.length - 1)

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A file cycle: split the shared part into a file both import, or move it down a layer. ' +
        'Only the pure types of src/model/ may refer to each other (see no-circular-model).',
      from: { pathNot: '^src/model/' },
      to: { circular: true },
    },
    {
      // The config holds the custom stages and a stage's context holds the config: types that
      // refer to each other, erased at compile time. Any runtime edge in a model cycle is an error.
      name: 'no-circular-model',
      severity: 'error',
      comment: 'A cycle in src/model/ through a runtime import: only type-only imports may cycle.',
      from: { path: '^src/model/' },
      to: { circular: true, via: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'A folder cycle: the folders of src/ form layers; see ARCHITECTURE.md "Layers".',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'model-imports-nothing-above',
      severity: 'error',
      comment:
        'src/model/ is pure types and constants: it may import only the types of errors.ts ' +
        '(type-only), and packages for types.',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'model-types-only-from-errors',
      severity: 'error',
      comment: 'src/model/ may import from src/ outside itself only the types of errors.ts.',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: ['^src/model/', '^src/errors[.]ts$'] },
    },
    {
      name: 'errors-import-nothing-of-pgferry',
      severity: 'error',
      comment:
        'errors.ts and redact.ts sit just above the model and import nothing of pgferry but ' +
        'each other, so that every layer may throw and redact without a cycle.',
      from: { path: ['^src/errors[.]ts$', '^src/redact[.]ts$'] },
      to: { path: '^src/', pathNot: ['^src/errors[.]ts$', '^src/redact[.]ts$'] },
    },
    {
      // The runner treats every stage by what it declares, built-in or custom, so it names none:
      // task/builtin-stages.ts (the composition root) registers the built-ins from above.
      name: 'stage-runner-names-no-stage',
      severity: 'error',
      comment:
        'stage/ (the runner) imports only model/, errors.ts, redact.ts and pg/: a stage folder or ' +
        'the store is reached through the StageContext and the Stage contract, never by import.',
      from: { path: '^src/stage/' },
      to: {
        path: '^src/',
        pathNot: [
          '^src/stage/',
          '^src/model/',
          '^src/errors[.]ts$',
          '^src/redact[.]ts$',
          '^src/pg/',
        ],
      },
    },
    {
      name: 'cli-through-public-api',
      severity: 'error',
      comment:
        'The pgferry command uses the public API only, as any caller would: import from ' +
        'src/index.ts, not from the folders behind it.',
      from: { path: '^src/cli/' },
      to: { path: '^src/', pathNot: ['^src/cli/', '^src/index[.]ts$'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
  },
}
