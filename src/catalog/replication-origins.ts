/**
 * Replication origin capacity of a server. Each origin with progress holds one replication state
 * slot until it is dropped (origin.c); there are `max_replication_slots` of them before v18 and
 * `max_active_replication_origins` from v18. `pg_replication_origin_status` lists the held ones
 * (superuser, or a grant on it).
 */
import type pg from 'pg'

/** The setting that bounds replication states on a server of `versionNum`. */
export function originLimitSetting(versionNum: number): string {
  return versionNum >= 180000 ? 'max_active_replication_origins' : 'max_replication_slots'
}

/** The limit and the external ids of the origins that hold a state now. */
export async function readOriginUse(
  client: pg.Client,
  versionNum: number,
): Promise<{ setting: string; limit: number; held: string[] }> {
  const setting = originLimitSetting(versionNum)
  const r = await client.query<{ limit: string; held: string[] | null }>(
    `SELECT current_setting($1) AS limit,
            (SELECT array_agg(coalesce(external_id, '')) FROM pg_replication_origin_status) AS held`,
    [setting],
  )
  return {
    setting,
    limit: Number(r.rows[0]?.limit),
    held: r.rows[0]?.held ?? [],
  }
}
