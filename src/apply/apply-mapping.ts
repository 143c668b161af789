/**
 * Where a source relation's changes go: the full load's manifest names each migrated table's
 * target schema (the selection, read once when the stream starts, maps the schemas), and the
 * full load's records give the sync LSN of tables it re-copied after a crash.
 */
import type pg from 'pg'
import type { StageContext } from '../model/stage.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import { readTaskSelection, selectedDatabases } from '../catalog/selection.js'
import type { LoadedTable } from '../fullload/load-progress.js'
import { readLoadManifests } from '../fullload/load-manifest.js'
import { parseLsn } from '../wal/lsn.js'
import { versionNum } from '../catalog/server-version.js'
import { assertPublicationCovers } from '../fullload/publication-coverage.js'

/** A source relation's destination. */
export interface ApplyTarget {
  readonly schema: string
  /** 0n: no sync LSN. */
  readonly syncLsn: bigint
}

/** The destinations of one source database. */
export class ApplyMapping {
  readonly #byOid: ReadonlyMap<number, ApplyTarget>
  readonly #schemas: ReadonlyMap<string, string>
  /** Schemas selected whole: a table created there later is worth a warning. */
  readonly #wholeSchemas: readonly string[]
  /** Selected partitioned tables: a partition attached later must be published too. */
  readonly #partitioned: readonly number[]

  constructor(
    byOid: ReadonlyMap<number, ApplyTarget>,
    schemas: ReadonlyMap<string, string>,
    wholeSchemas: readonly string[],
    partitioned: readonly number[] = [],
  ) {
    this.#byOid = byOid
    this.#schemas = schemas
    this.#wholeSchemas = wholeSchemas
    this.#partitioned = partitioned
  }

  /**
   * Partitions of a migrated partitioned table, created since the selection was read, that
   * `publication` does not carry: their rows would be missed without a word. A v13+ publication
   * names the root, which covers new partitions; v12 publishes partitions one by one.
   */
  async unpublishedPartitions(source: pg.Client, publication: string): Promise<string[]> {
    if (this.#partitioned.length === 0) return []
    const r = await source.query<{ oid: number; name: string }>(
      `SELECT c.oid::int8::float8 AS oid, n.nspname || '.' || c.relname AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relispartition AND c.relkind = 'r'
          AND EXISTS (SELECT 1 FROM pg_partition_ancestors(c.oid) a WHERE a.relid = ANY($1::oid[]))
          AND NOT EXISTS (SELECT 1 FROM pg_publication_tables p
                           WHERE p.pubname = $2 AND p.schemaname = n.nspname AND p.tablename = c.relname)
        ORDER BY 2`,
      [this.#partitioned, publication],
    )
    return r.rows.filter((x) => !this.#byOid.has(x.oid)).map((x) => x.name)
  }

  /** The target of relation `oid`, found by oid, else by its schema's mapping. */
  targetOf(oid: number, schema: string): ApplyTarget {
    return this.#byOid.get(oid) ?? { schema: this.#schemas.get(schema) ?? schema, syncLsn: 0n }
  }

  /** Tables in schemas selected whole that the selection did not know (created since). */
  async unpublishedTables(source: pg.Client): Promise<string[]> {
    if (this.#wholeSchemas.length === 0) return []
    const r = await source.query<{ oid: number; name: string }>(
      `SELECT c.oid::int8::float8 AS oid, n.nspname || '.' || c.relname AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND c.relpersistence = 'p'
          AND NOT c.relispartition
        ORDER BY 2`,
      [this.#wholeSchemas],
    )
    return r.rows.filter((x) => !this.#byOid.has(x.oid)).map((x) => x.name)
  }
}

/** Read the mapping of source database `db` with a normal source connection. */
export async function readApplyMapping(
  ctx: StageContext,
  source: pg.Client,
  db: string,
  tables: readonly LoadedTable[],
): Promise<ApplyMapping> {
  const all = await selectedDatabases(ctx.config.objects, source)
  const resolved: ResolvedDatabase = all.find((d) => d.name === db) ?? {
    name: db,
    as: db,
    schemas: undefined,
  }
  const selection = await readTaskSelection(source, resolved, ctx.config.objects)
  // the relations the full load migrated (a table created since is not on the target); a load
  // recorded before manifests existed has only the live catalog to go by
  const manifest = (await readLoadManifests(ctx.store, ctx.taskId)).get(db)
  // a DBA's publication may have changed since the full load checked it
  if (ctx.config.publication !== undefined)
    await assertPublicationCovers(
      source,
      ctx.config.publication,
      db,
      selection.relations,
      await versionNum(source),
    )
  const sync = new Map<number, bigint>()
  for (const t of tables) if (t.syncLsn !== null) sync.set(t.oid, parseLsn(t.syncLsn))
  const byOid = new Map<number, ApplyTarget>()
  for (const r of manifest?.relations ?? selection.relations) {
    if (r.kind !== 'r' && r.kind !== 'p') continue
    byOid.set(r.oid, { schema: r.targetSchema, syncLsn: sync.get(r.oid) ?? 0n })
  }
  const schemas = new Map(selection.schemas.map((s) => [s.name, s.as]))
  const whole =
    resolved.schemas === undefined
      ? selection.schemas.map((s) => s.name)
      : resolved.schemas.filter((s) => s.whole).map((s) => s.name)
  const partitioned = selection.relations.filter((r) => r.kind === 'p').map((r) => r.oid)
  return new ApplyMapping(byOid, schemas, whole, partitioned)
}
