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

/** The attribute slots of relation `oid` now; empty when it no longer exists. */
export async function readAttributeSlots(client: pg.Client, oid: number): Promise<AttributeSlot[]> {
  const v = await versionNum(client)
  const generated = v >= 120000 ? `AND attgenerated = ''` : ''
  const r = await client.query<{ name: string; dropped: boolean }>(
    `SELECT attname AS name, attisdropped AS dropped FROM pg_attribute
      WHERE attrelid = $1::oid AND attnum > 0 ${generated}
      ORDER BY attnum`,
    [oid],
  )
  return r.rows.map((x) => (x.dropped ? null : x.name))
}
