/**
 * Where a source relation's changes go: the task's manifest names each migrated table and its
 * target schema (read from the store, never from the live catalog: starting or resuming a stream
 * resolves nothing), and the full load's records give the sync LSN of tables it re-copied after a
 * crash or added later.
 */
import type pg from 'pg'
import type { StageContext } from '../model/stage.js'
import type { LoadedTable } from '../fullload/load-progress.js'
import type { DatabaseManifest } from '../model/manifest.js'
import { databaseManifest } from '../manifest/resolve-manifest.js'
import { notMigrated, notMigratedMessage } from '../manifest/not-migrated.js'
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
  /** What the task migrates from this database: a table created since is worth a warning. */
  readonly #manifest: DatabaseManifest | undefined
  /** Selected partitioned tables: a partition attached later must be published too. */
  readonly #partitioned: readonly number[]

  constructor(
    byOid: ReadonlyMap<number, ApplyTarget>,
    schemas: ReadonlyMap<string, string>,
    manifest?: DatabaseManifest,
  ) {
    this.#byOid = byOid
    this.#schemas = schemas
    this.#manifest = manifest
    this.#partitioned = (manifest?.relations ?? []).filter((r) => r.kind === 'p').map((r) => r.oid)
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

  /**
   * Tables in schemas selected whole that the manifest does not name (created since), with the
   * warning that says how to add them.
   */
  async unpublishedTables(source: pg.Client): Promise<{ name: string; message: string }[]> {
    const m = this.#manifest
    if (m === undefined) return []
    const rels = await notMigrated(source, m)
    return rels
      .filter((r) => (r.kind === 'r' || r.kind === 'p') && r.persistence === 'p')
      .map((r) => ({
        name: `${r.schema}.${r.name}`,
        message: notMigratedMessage(r, m.database.name),
      }))
  }
}

/** Read the mapping of source database `db` from the task's manifest. */
export async function readApplyMapping(
  ctx: StageContext,
  source: pg.Client,
  db: string,
  tables: readonly LoadedTable[],
): Promise<ApplyMapping> {
  const manifest = await databaseManifest(ctx, db)
  // a DBA's publication may have changed since the full load checked it
  if (ctx.config.publication !== undefined)
    await assertPublicationCovers(
      source,
      ctx.config.publication,
      db,
      manifest.relations,
      await versionNum(source),
    )
  const sync = new Map<number, bigint>()
  for (const t of tables) if (t.syncLsn !== null) sync.set(t.oid, parseLsn(t.syncLsn))
  const byOid = new Map<number, ApplyTarget>()
  for (const r of manifest.relations) {
    if (r.kind !== 'r' && r.kind !== 'p') continue
    byOid.set(r.oid, { schema: r.targetSchema, syncLsn: sync.get(r.oid) ?? 0n })
  }
  const schemas = new Map(manifest.schemas.map((s) => [s.name, s.as]))
  return new ApplyMapping(byOid, schemas, manifest)
}
