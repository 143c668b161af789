/**
 * The cutover fence of one source database (ARCHITECTURE.md): a WAL position at or past the commit
 * of every transaction committed before it, asynchronous commits included.
 *
 * `pg_current_wal_lsn()` is the WAL *write* position: a transaction committed with
 * `synchronous_commit = off` may still sit in WAL buffers, past it, until the WAL writer's next
 * round (up to 3 × `wal_writer_delay`), so draining to it can drop the slot before that commit is
 * decoded. Instead we commit a transactional logical message with a local synchronous commit: its
 * commit flushes the WAL up to itself, and every earlier commit is before it. The flush position
 * read afterwards is therefore past every commit that came before the call, and all of it is
 * flushed, so the walsender can decode up to it without waiting for the WAL writer. (pgoutput
 * does not send the message itself unless asked to; the drain waits for the position.)
 */
import type pg from 'pg'
import { parseLsn } from '../wal/lsn.js'

/** The logical message prefix pgferry's fences carry (visible to other decoders of the WAL). */
export const FENCE_MESSAGE_PREFIX = 'pgferry'

/**
 * The function the fence calls, as a regprocedure, by server_version_num. Version 17 added a
 * fourth argument (`flush boolean DEFAULT false`), so the call below resolves to that overload
 * there. The fence passes text (the casts below), so the bytea overload is never called: its
 * privileges do not matter to pgferry.
 */
export function fenceFunction(versionNum: number): string {
  return versionNum >= 170000
    ? 'pg_logical_emit_message(boolean,text,text,boolean)'
    : 'pg_logical_emit_message(boolean,text,text)'
}

/** Write the fence on `source` (a normal connection to the database) and return its position. */
export async function writeCutoverFence(source: pg.Client, taskId: string): Promise<bigint> {
  await source.query('BEGIN')
  try {
    // a role or database set to synchronous_commit = off must not make the fence asynchronous
    // too; 'local' flushes here and does not wait for synchronous standbys, which the fence
    // does not need
    await source.query(`SET LOCAL synchronous_commit = local`)
    await source.query(`SELECT pg_logical_emit_message(true, $1::text, $2::text)`, [
      FENCE_MESSAGE_PREFIX,
      `cutover fence of task ${taskId}`,
    ])
    await source.query('COMMIT')
  } catch (error) {
    await source.query('ROLLBACK').catch(() => undefined)
    throw error
  }
  const r = await source.query<{ lsn: string }>(`SELECT pg_current_wal_flush_lsn()::text AS lsn`)
  return parseLsn(r.rows[0]?.lsn ?? '0/0')
}
