/**
 * Server version, read once per connection. All versions ≥ 10 (server_version_num).
 */
import type pg from 'pg'

/** @public */
export interface ServerVersion {
  /** e.g. 160004 */
  readonly num: number
  /** e.g. 16 */
  readonly major: number
  /** e.g. `16.4` */
  readonly text: string
}

/** Read the server's version. */
export async function serverVersion(client: pg.Client): Promise<ServerVersion> {
  const r = await client.query<{ num: string; text: string }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text`,
  )
  const num = Number(r.rows[0]?.num)
  return { num, major: Math.floor(num / 10000), text: String(r.rows[0]?.text).split(' ')[0] ?? '' }
}

/** server_version_num of the connected server, e.g. 160004 (for version-dependent catalog SQL). */
export async function versionNum(client: pg.Client): Promise<number> {
  const r = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)
  return Number(r.rows[0]?.v)
}
