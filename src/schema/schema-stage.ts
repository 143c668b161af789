/**
 * The built-in structure stage (`migrateSchema`): for each selected database, create the target
 * database if needed, read the source catalog once, plan the DDL in dependency order, run the
 * pre-data steps, and either run the post-data steps too (`structure` tasks) or save them for the
 * full load (`savePostDataPlan`). For `instance` tasks the roles come first. Every step is tracked
 * in the store, so a re-run after a crash finishes what is missing.
 */
import type pg from 'pg'
import { readAcls } from '../catalog/acls.js'
import { readSharedComments } from '../catalog/comments.js'
import { readDatabase } from '../catalog/databases.js'
import { readAvailableExtensionVersions } from '../catalog/installed-extensions.js'
import { readTaskSelection, selectedDatabases } from '../catalog/selection.js'
import { serverVersion } from '../catalog/server-version.js'
import { quoteIdent } from '../pg/quote.js'
import type { Stage, StageContext } from '../model/stage.js'
import { ensureTargetDatabase } from './database-setup.js'
import { savePostDataPlan, type DdlStep } from './ddl-step.js'
import { planDatabase, type TargetFacts } from './plan-database.js'
import { planRoles } from './role-steps.js'
import { runSteps, type RunStepsResult } from './run-steps.js'
import type { SchemaResult } from './schema-result.js'
import { readSourceCatalog } from './source-catalog.js'

/**
 * The progress kind under which each step this stage runs (roles, pre-data, and post-data of a
 * `structure` task) is marked done, keyed `<targetDb>\u001f<step key>`. Not NUL: the PostgreSQL
 * store passes entries as JSON, and jsonb refuses `\u0000` (22P05).
 */
export const SCHEMA_DONE_KIND = 'schema-done'
/** Separates the target database from the step key in a progress key. */
const SEP = '\u001f'

/**
 * `search_path` naming the given schemas, then pg_catalog ('' when none). pg_catalog goes last so a
 * function of a renamed schema that shares a built-in's name (`normalize`) still deparses unqualified.
 */
function searchPath(schemas: readonly string[]): string {
  return schemas.length === 0 ? '' : [...schemas.map(quoteIdent), 'pg_catalog'].join(', ')
}

async function setSession(client: pg.Client, path: string): Promise<void> {
  await client.query(
    `SELECT set_config('search_path', $1, false), set_config('check_function_bodies', 'off', false),
            set_config('client_min_messages', 'warning', false)`,
    [path],
  )
}

async function targetRoles(client: pg.Client): Promise<Set<string>> {
  const r = await client.query<{ rolname: string }>(`SELECT rolname FROM pg_roles`)
  return new Set(r.rows.map((x) => x.rolname))
}

async function targetLanguages(client: pg.Client): Promise<Set<string>> {
  const r = await client.query<{ lanname: string }>(`SELECT lanname FROM pg_language`)
  return new Set(r.rows.map((x) => x.lanname))
}

async function runSchema(ctx: StageContext): Promise<SchemaResult> {
  const cfg = ctx.config
  const created: Record<string, number> = {}
  let alreadyDone = 0
  const unsupported: { object: string; reason: string }[] = []
  const add = (r: RunStepsResult): void => {
    for (const [k, n] of Object.entries(r.created)) created[k] = (created[k] ?? 0) + n
    alreadyDone += r.alreadyDone
  }
  const warn = (code: string, message: string, object: string): void =>
    ctx.warn(code, message, object)

  const src0 = await ctx.connect('source')
  const tgt0 = await ctx.connect('target')
  const srcMajor = (await serverVersion(src0)).major
  const tgtMajor = (await serverVersion(tgt0)).major
  const databases = await selectedDatabases(cfg.objects, src0)
  const sharedComments = await readSharedComments(src0)
  let roles = await targetRoles(tgt0)
  const onExisting =
    (database: string) =>
    (s: DdlStep): void =>
      ctx.warn(
        'PGFERRY_SCHEMA_OBJECT_EXISTS',
        `${s.kind} ${s.name} already exists on the target${database === '' ? '' : ` (database ${database})`}: kept as it is`,
        s.name,
      )
  const onCreated =
    (database: string) =>
    (s: DdlStep): void =>
      ctx.emit('schema:object', {
        taskId: ctx.taskId,
        database,
        kind: s.kind,
        name: s.name,
        phase: s.phase,
      })

  if (cfg.objects.mode === 'instance') {
    const planned = await planRoles(
      src0,
      srcMajor,
      tgtMajor,
      cfg.target.user,
      roles,
      sharedComments,
      warn,
    )
    add(
      await runSteps(tgt0, planned.steps, {
        store: ctx.store,
        taskId: ctx.taskId,
        doneKind: SCHEMA_DONE_KIND,
        keyPrefix: SEP,
        signal: ctx.signal,
        onCreated: onCreated(''),
        onExisting: onExisting(''),
      }),
    )
    roles = await targetRoles(tgt0)
  }

  const dbAcls = new Map(
    (
      await readAcls(
        src0,
        'pg_database',
        await databaseOids(
          src0,
          databases.map((d) => d.name),
        ),
      )
    ).map((a) => [a.oid, a]),
  )
  for (const db of databases) {
    ctx.signal.throwIfAborted()
    const info = await readDatabase(src0, srcMajor, db.name)
    await ensureTargetDatabase(tgt0, tgtMajor, db.as, info, warn)
    const src =
      db.name === cfg.source.database ? src0 : await ctx.connect('source', { database: db.name })
    const tgt =
      db.as === cfg.target.database ? tgt0 : await ctx.connect('target', { database: db.as })
    try {
      // Definitions are deparsed under a search_path naming the renamed schemas, and replayed under one
      // naming their new names: a reference to a renamed schema then follows the rename.
      const selectionSchemas = db.schemas ?? []
      const renamed = selectionSchemas.filter((s) => s.as !== s.name)
      await setSession(src, searchPath(renamed.map((s) => s.name)))
      await setSession(tgt, searchPath(renamed.map((s) => s.as)))
      const selection = await readTaskSelection(src, db, cfg.objects)
      const cat = await readSourceCatalog(src, srcMajor, selection)
      const facts: TargetFacts = {
        major: tgtMajor,
        roles,
        languages: await targetLanguages(tgt),
        extensionVersions: await readAvailableExtensionVersions(tgt),
      }
      const plan = planDatabase(cat, facts, {
        targetDatabase: db.as,
        ownership: cfg.ownership,
        database: info,
        sharedComments,
        databaseAcl: info === undefined ? undefined : dbAcls.get(info.oid),
        warn,
      })
      for (const u of plan.unsupported) {
        ctx.warn(
          'PGFERRY_SCHEMA_UNSUPPORTED',
          `${u.object}: ${u.reason}`,
          `${db.name}: ${u.object}`,
        )
        unsupported.push({ object: `${db.name}: ${u.object}`, reason: u.reason })
      }
      for (const r of plan.missingRoles)
        ctx.warn(
          'PGFERRY_SCHEMA_ROLE_MISSING',
          `role ${r} does not exist on the target: ownership and grants naming it were left out`,
          r,
        )
      const common = {
        store: ctx.store,
        taskId: ctx.taskId,
        signal: ctx.signal,
        onCreated: onCreated(db.as),
        onExisting: onExisting(db.as),
      }
      const keyPrefix = `${db.as}${SEP}`
      add(await runSteps(tgt, plan.preData, { ...common, doneKind: SCHEMA_DONE_KIND, keyPrefix }))
      if (cfg.type === 'structure') {
        // the full load never runs for a structure task: its post-data marks are this stage's own
        add(
          await runSteps(tgt, plan.postData, { ...common, doneKind: SCHEMA_DONE_KIND, keyPrefix }),
        )
      } else {
        await savePostDataPlan(ctx.store, ctx.taskId, db.as, plan.postData)
      }
    } finally {
      // an instance can have many databases: do not hold two connections per database to the end
      if (src !== src0) await src.end()
      if (tgt !== tgt0) await tgt.end()
    }
  }
  ctx.emit('schema:done', {
    taskId: ctx.taskId,
    phase: cfg.type === 'structure' ? 'all' : 'pre-data',
    counts: created,
    skipped: alreadyDone,
  })
  return { created, alreadyDone, unsupported }
}

async function databaseOids(client: pg.Client, names: readonly string[]): Promise<number[]> {
  const r = await client.query<{ oid: number }>(
    `SELECT oid::int8::float8 AS oid FROM pg_database WHERE datname = ANY($1::text[])`,
    [names],
  )
  return r.rows.map((x) => x.oid)
}

/** The built-in structure stage. */
export const schemaStage: Stage<SchemaResult> = {
  name: 'schema',
  state: 'running_structure',
  run: runSchema,
}
