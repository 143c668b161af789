/**
 * Server settings as the connected session sees them (so database- and role-level settings count).
 * All versions ≥ 10; a setting the server does not have (e.g. `max_slot_wal_keep_size` before v13)
 * is simply absent from the result.
 */
import type pg from 'pg'

/** One setting from pg_settings. */
export interface Setting {
  readonly name: string
  readonly setting: string
  /** `ms`, `kB`, `MB`, `8kB`…, or null. */
  readonly unit: string | null
  /** `postmaster` (restart), `sighup` (reload), `user`… */
  readonly context: string
}

/** The named settings, by name (v10+). */
export async function readSettings(
  client: pg.Client,
  names: readonly string[],
): Promise<Map<string, Setting>> {
  const r = await client.query<Setting>(
    `SELECT name, setting, unit, context FROM pg_settings WHERE name = ANY($1::text[])`,
    [names],
  )
  return new Map(r.rows.map((s) => [s.name, s]))
}
