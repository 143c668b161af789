/**
 * The floor of any consumer of a backlog: receive and decode it with pgferry's replication stream
 * and decoder, and do nothing else (no apply). The walsender's own work — reading the WAL,
 * reassembling and decoding each transaction, pgoutput — is inside it, as it is for pgferry and
 * for a native subscription.
 */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import type { Cluster } from '../../test/harness/cluster.js'
import { MessageType } from '../../src/wal/pgoutput-messages.js'
import { maxProtoVersion } from '../../src/wal/protocol-options.js'
import { ReplicationStream } from '../../src/wal/replication-stream.js'

/** A slot made before the backlog is written, so that it has the whole backlog to read. */
export async function createDecodeSlot(source: Cluster, db: string, slot: string): Promise<void> {
  await source.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot], db)
}

export async function dropDecodeSlot(source: Cluster, db: string, slot: string): Promise<void> {
  await source.query(`SELECT pg_drop_replication_slot($1)`, [slot], db)
}

export interface DecodeOnlyTime {
  readonly seconds: number
  /**
   * CPU seconds (user + system) of this process meanwhile: near `seconds`, the receiving side is
   * the bound; far below it, the server is.
   */
  readonly cpuSeconds: number
  /**
   * CPU seconds of the walsender serving the stream (from /proc; NaN where unreadable): near
   * `seconds`, the walsender's work is the bound; far below both, the time goes to waiting.
   */
  readonly walsenderCpuSeconds: number
}

/** A process's user + system CPU seconds from /proc/<pid>/stat (USER_HZ is 100 on Linux). */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after "(comm)": state is the first, utime the 12th, stime the 13th
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(rest[11]) + Number(rest[12])) / 100
  } catch {
    return NaN
  }
}

/**
 * Seconds from connecting until `slot` has delivered `inserts` Insert messages on `table` and the
 * Commit after the last of them, decoded by pgferry's stream with pgferry's options (spooling
 * streamed transactions, no logical messages, no two-phase).
 */
export async function timeDecodeOnly(
  source: Cluster,
  db: string,
  slot: string,
  publication: string,
  table: string,
  inserts: number,
): Promise<DecodeOnlyTime> {
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const client = new pg.Client({ ...source.config(db), replication: 'database' } as pg.ClientConfig)
  client.on('error', () => undefined)
  await client.connect()
  try {
    // what pgferry's apply connection sets (open-apply-stream.ts): the walsender's output
    // functions run with these
    await client.query(
      `SET datestyle = ISO; SET intervalstyle = postgres; SET extra_float_digits = 3`,
    )
    const b = await client.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)
    const walsender = b.rows[0]?.pid ?? -1
    const walsenderCpu0 = processCpuSeconds(walsender)
    let seen = 0
    let done!: () => void
    const finished = new Promise<void>((r) => (done = r))
    const stream = await ReplicationStream.start(
      client,
      {
        slot,
        publications: [publication],
        streamedTransactions: 'spool',
        messages: false,
        twoPhase: false,
      },
      (m) => {
        if (m.type === MessageType.Insert && m.relation.name === table) seen++
        else if (m.type === MessageType.Commit && seen >= inserts) done()
      },
    )
    await Promise.race([finished, stream.done])
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const walsenderCpuSeconds = processCpuSeconds(walsender) - walsenderCpu0
    await stream.stop()
    return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, walsenderCpuSeconds }
  } finally {
    await client.end().catch(() => undefined)
  }
}

/**
 * Seconds for the server alone to decode what `slot` holds, without sending it anywhere: the
 * changes are peeked (the slot does not move, so `timeDecodeOnly` can read them after) with the
 * server's highest pgoutput protocol and counted in-server. Tells whether the decode floor is the
 * walsender's work or the receiving side's.
 */
export async function timeServerDecode(
  source: Cluster,
  db: string,
  slot: string,
  publication: string,
): Promise<number> {
  const c = await source.client(db)
  try {
    const v = await c.query<{ n: string }>(`SHOW server_version_num`)
    const proto = String(maxProtoVersion(Number(v.rows[0]?.n)))
    const t0 = performance.now()
    await c.query(
      `SELECT count(*) FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', $2, 'publication_names', $3)`,
      [slot, proto, publication],
    )
    return (performance.now() - t0) / 1000
  } finally {
    await c.end()
  }
}

/** The publication pgferry made in `db` (the only one there). */
export async function ferryPublication(source: Cluster, db: string): Promise<string> {
  const r = await source.query<{ pubname: string }>(`SELECT pubname FROM pg_publication`, [], db)
  const name = r.rows[0]?.pubname
  if (name === undefined || r.rows.length !== 1)
    throw new Error(`expected one publication in ${db}, found ${r.rows.length}`)
  return name
}
