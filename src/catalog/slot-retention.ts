/**
 * What a replication slot holds back on the source: the WAL between its `restart_lsn` and the
 * server's current position, which PostgreSQL keeps for the slot (pg_replication_slots). v13+ also
 * say whether the slot is still safe (`wal_status`: reserved, extended, unreserved, or lost once
 * PostgreSQL invalidated it for exceeding `max_slot_wal_keep_size`) and how much more WAL may be
 * written before it is lost (`safe_wal_size`). v12 has neither (and never invalidates a slot).
 */
import type pg from 'pg'

/** A slot's retention, read with the server's current WAL position in one statement. */
export interface SlotRetention {
  /** `pg_current_wal_lsn()` (`X/Y`). */
  readonly currentLsn: string
  /** Whether the slot exists. */
  readonly exists: boolean
  /** Current position minus `restart_lsn`; undefined when the slot has none (lost, or not there). */
  readonly retainedBytes: bigint | undefined
  /** v13+: `reserved`, `extended`, `unreserved` or `lost`; undefined on v12. */
  readonly walStatus: string | undefined
  /** v13+: bytes that may still be written before the slot is lost; undefined when unlimited. */
  readonly safeWalSize: bigint | undefined
}

/** Read `slot`'s retention (all versions ≥ 10; wal_status and safe_wal_size v13+). */
export async function readSlotRetention(
  client: pg.Client,
  slot: string,
  serverVersion: number,
): Promise<SlotRetention> {
  const v13 = serverVersion >= 130000
  const r = await client.query<{
    current: string
    found: boolean
    retained: string | null
    wal_status: string | null
    safe: string | null
  }>(
    `SELECT pg_current_wal_lsn()::text AS current, s.slot_name IS NOT NULL AS found,
            (pg_current_wal_lsn() - s.restart_lsn)::int8::text AS retained,
            ${v13 ? 's.wal_status' : 'NULL::text'} AS wal_status,
            ${v13 ? 's.safe_wal_size::text' : 'NULL::text'} AS safe
       FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = $1`,
    [slot],
  )
  const row = r.rows[0]
  return {
    currentLsn: row?.current ?? '0/0',
    exists: row?.found === true,
    retainedBytes: row?.retained == null ? undefined : BigInt(row.retained),
    walStatus: row?.wal_status ?? undefined,
    safeWalSize: row?.safe == null ? undefined : BigInt(row.safe),
  }
}

/**
 * `max_slot_wal_keep_size` in bytes: the WAL a slot may hold back before PostgreSQL invalidates
 * it. Undefined when unlimited (-1, the default) or on v12, which has no such setting.
 */
export async function readSlotWalLimit(client: pg.Client): Promise<bigint | undefined> {
  const r = await client.query<{ setting: string; unit: string | null }>(
    `SELECT setting, unit FROM pg_settings WHERE name = 'max_slot_wal_keep_size'`,
  )
  const row = r.rows[0]
  if (row === undefined || Number(row.setting) < 0) return undefined
  // the unit is MB on every version that has the setting
  const unit = row.unit === 'kB' ? 1024n : row.unit === 'GB' ? 1024n ** 3n : 1024n ** 2n
  return BigInt(row.setting) * unit
}

/** One replication slot of a task, as `pg_replication_slots` shows it. */
export interface TaskSlotRow {
  readonly slot: string
  readonly database: string
  readonly active: boolean
  readonly retainedBytes: bigint | undefined
  readonly lagBytes: bigint | undefined
  readonly walStatus: string | undefined
}

/**
 * The slots whose names start with `prefix` (a task's slots, its temporary ones included), with
 * the WAL each holds back (all versions ≥ 10; wal_status v13+).
 */
export async function readSlotsByPrefix(
  client: pg.Client,
  prefix: string,
  serverVersion: number,
): Promise<TaskSlotRow[]> {
  const r = await client.query<{
    slot: string
    database: string
    active: boolean
    retained: string | null
    lag: string | null
    wal_status: string | null
  }>(
    `SELECT slot_name::text AS slot, database::text AS database, active,
            (pg_current_wal_lsn() - restart_lsn)::int8::text AS retained,
            (pg_current_wal_lsn() - confirmed_flush_lsn)::int8::text AS lag,
            ${serverVersion >= 130000 ? 'wal_status' : 'NULL::text'} AS wal_status
       FROM pg_replication_slots WHERE starts_with(slot_name::text, $1) ORDER BY slot_name`,
    [prefix],
  )
  return r.rows.map((x) => ({
    slot: x.slot,
    database: x.database,
    active: x.active,
    retainedBytes: x.retained === null ? undefined : BigInt(x.retained),
    lagBytes: x.lag === null ? undefined : BigInt(x.lag),
    walStatus: x.wal_status ?? undefined,
  }))
}
