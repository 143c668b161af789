/**
 * Sequences are not carried by COPY or logical replication: each selected sequence is set on the
 * target from the source's `last_value` / `is_called` (read after the copy, so the target never
 * hands out a value the source already used before the load).
 */
import type pg from 'pg'
import { quoteQualified } from '../pg/quote.js'
import type { SelectedRelation } from '../catalog/selection.js'

/** Set every sequence of `sequences` on the target; returns how many were set. */
export async function copySequences(
  source: pg.Client,
  target: pg.Client,
  sequences: readonly Pick<SelectedRelation, 'kind' | 'schema' | 'name' | 'targetSchema'>[],
): Promise<number> {
  let n = 0
  for (const s of sequences) {
    if (s.kind !== 'S') continue
    const r = await source.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text, is_called FROM ${quoteQualified(s.schema, s.name)}`,
    )
    const row = r.rows[0]
    if (row === undefined) continue
    await target.query(`SELECT setval($1::regclass, $2::int8, $3)`, [
      quoteQualified(s.targetSchema, s.name),
      row.last_value,
      row.is_called,
    ])
    n++
  }
  return n
}
