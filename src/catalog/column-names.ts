/**
 * A relation's columns as its catalog holds them now, dropped ones included, in attnum order
 * (generated columns left out: pgoutput never sends them). attgenerated exists from v12; before,
 * no column is generated. The apply reads them on the source when a replayed Relation message and
 * the target table disagree (replayed-columns.ts).
 */
import type pg from 'pg'
import { versionNum } from './server-version.js'

/** One attribute slot: a live column's name, or `null` for a dropped one. */
export type AttributeSlot = string | null

/** A relation's attribute slots, and the type of each live column by name. */
export interface SourceColumns {
  readonly slots: readonly AttributeSlot[]
  readonly types: ReadonlyMap<string, { readonly typeOid: number; readonly typeMod: number }>
}

/** The columns of relation `oid` now; no slots when it no longer exists. */
export async function readSourceColumns(client: pg.Client, oid: number): Promise<SourceColumns> {
  const v = await versionNum(client)
  const generated = v >= 120000 ? `AND attgenerated = ''` : ''
  const r = await client.query<{
    name: string
    dropped: boolean
    type_oid: number
    type_mod: number
  }>(
    `SELECT attname AS name, attisdropped AS dropped, atttypid::int8::float8 AS type_oid,
            atttypmod AS type_mod
       FROM pg_attribute
      WHERE attrelid = $1::oid AND attnum > 0 ${generated}
      ORDER BY attnum`,
    [oid],
  )
  const types = new Map<string, { typeOid: number; typeMod: number }>()
  for (const x of r.rows)
    if (!x.dropped) types.set(x.name, { typeOid: x.type_oid, typeMod: x.type_mod })
  return { slots: r.rows.map((x) => (x.dropped ? null : x.name)), types }
}
