/**
 * Migrated relations dropped on the source during the sync. A DROP is DDL: the stream does not
 * carry it, and the cutover would fail on the missing relation with a bare `relation … does not
 * exist`. pgferry never drops target data on its own: the user decides. A relation gone on both
 * sides is what they decided (a warning says so and the cutover leaves it out); one still on the
 * target stops the cutover, before anything is dropped, with the DROP that agrees with the source
 * as the fix (IF EXISTS: a serial's sequence goes with its table), or, for a drop that was a
 * mistake, recreate and reload it on the source.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import { readMissingRelations } from '../catalog/missing-relations.js'
import type { LoadedDatabase } from '../fullload/load-progress.js'
import type { MigratedRelation } from '../fullload/load-manifest.js'
import { quoteQualified } from '../pg/quote.js'
import type { StageContext } from '../model/stage.js'

/** What the cutover touches: tables (counted), sequences (set) and matviews (refreshed). */
const TOUCHED = new Set(['r', 'S', 'm'])
const KIND: Readonly<Record<string, { noun: string; drop: string }>> = {
  r: { noun: 'table', drop: 'TABLE' },
  S: { noun: 'sequence', drop: 'SEQUENCE' },
  m: { noun: 'materialized view', drop: 'MATERIALIZED VIEW' },
}

/**
 * The migrated relations that still exist on the source; throws `PGFERRY_COMPLETE_RELATION_DROPPED`
 * for those dropped on the source but still on the target.
 */
export async function withoutDroppedRelations(
  ctx: StageContext,
  d: LoadedDatabase,
  src: pg.Client,
  tgt: pg.Client,
  migrated: readonly MigratedRelation[],
): Promise<MigratedRelation[]> {
  const gone = await readMissingRelations(
    src,
    migrated.filter((r) => TOUCHED.has(r.kind)),
  )
  if (gone.length === 0) return [...migrated]
  const database = d.sourceDatabase
  const onTarget = gone.map((r) => ({ ...r, schema: r.targetSchema }))
  const goneOnTarget = new Set(
    (await readMissingRelations(tgt, onTarget)).map((r) => `${r.kind}:${r.schema}.${r.name}`),
  )
  const stillOnTarget = onTarget.filter((r) => !goneOnTarget.has(`${r.kind}:${r.schema}.${r.name}`))
  const label = (r: MigratedRelation): string =>
    `${KIND[r.kind]?.noun ?? 'relation'} ${r.schema}.${r.name}`
  if (stillOnTarget.length > 0) {
    const names = gone
      .filter((r) => stillOnTarget.some((t) => t.oid === r.oid))
      .map((r) => `${database}: ${label(r)}`)
    throw new PgferryError(
      'PGFERRY_COMPLETE_RELATION_DROPPED',
      `dropped (or renamed) on the source during the sync, still on the target: ${names.join(', ')}; a DROP is not replicated, so the cutover cannot verify or align it`,
      {
        fix: [
          `if the drop was intended, drop it on the target too, then call complete again (the slot is kept until the cutover ends):`,
          `-- on the target, in database ${JSON.stringify(d.targetDatabase)}:`,
          ...stillOnTarget.map(
            (r) =>
              `DROP ${KIND[r.kind]?.drop ?? 'TABLE'} IF EXISTS ${quoteQualified(r.schema, r.name)};`,
          ),
          'if the drop was a mistake, recreate and reload it on the source, or migrate it with a new task',
        ].join('\n'),
      },
    )
  }
  for (const r of gone)
    ctx.warn(
      'PGFERRY_COMPLETE_RELATION_DROPPED',
      `${label(r)} of ${database} was dropped on the source and on the target during the sync: the cutover leaves it out`,
      `${database}.${r.schema}.${r.name}`,
    )
  const left = new Set(gone.map((r) => r.oid))
  return migrated.filter((r) => !left.has(r.oid))
}
