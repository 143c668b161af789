/**
 * The replication connection of an apply. The walsender of a process that was killed holds the
 * slot until it notices its client is gone ("replication slot … is active", 55006): START is
 * retried for a while on a fresh connection (a walsender serves one logical stream only).
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import type { ResolvedApplyOptions } from './apply-options.js'
import { ReplicationStream, type ReplicationHandler } from '../wal/replication-stream.js'

/** The walsender's `logical_decoding_work_mem`, at most (see `connect`). */
export const EAGER_DECODING_WORK_MEM = '4MB'

/** Attempts while the slot is still held by the walsender of a killed process. */
const SLOT_ATTEMPTS = 100
const SLOT_RETRY_MS = 100

/** A replication connection ready for START_REPLICATION; `start` retries while the slot is held. */
export async function openApplyStream(
  ctx: StageContext,
  slot: string,
  publication: string,
  db: string,
  startFrom: bigint,
  keep: boolean,
  { receiveTimeoutMs }: Pick<ResolvedApplyOptions, 'receiveTimeoutMs'>,
): Promise<{
  client: pg.Client
  start: (
    handler: ReplicationHandler,
    replayStreamed: (xid: number) => boolean,
  ) => Promise<ReplicationStream>
}> {
  const connect = async (): Promise<pg.Client> => {
    const c = await ctx.connect('source', { database: db, replication: 'database', keep })
    // what libpqwalreceiver asks of a logical walsender: values printed so that any server parses
    // them back exactly (ISO dates, postgres intervals, floats with all their digits)
    await c.query(`SET datestyle = ISO; SET intervalstyle = postgres; SET extra_float_digits = 3`)
    // a large transaction streams once this much of it is decoded: the eager apply
    // (eager-apply.ts) can only start then, so the walsender of this connection streams early;
    // a lower setting of the source's is kept (v12 has none, and streaming needs v14)
    // (a walsender takes the simple protocol only: our own constant, as a literal)
    await c.query(
      `SELECT set_config('logical_decoding_work_mem', '${EAGER_DECODING_WORK_MEM}', false)
        WHERE pg_size_bytes(current_setting('logical_decoding_work_mem', true)) > pg_size_bytes('${EAGER_DECODING_WORK_MEM}')`,
    )
    return c
  }
  let client = await connect()
  const options = {
    slot,
    publications: [publication],
    startLsn: startFrom,
    // streamed transactions are delivered as they arrive and spooled too: eager-apply.ts
    streamedTransactions: 'live',
    messages: false,
    twoPhase: false,
    receiveTimeoutMs,
  } as const
  return {
    get client() {
      return client
    },
    start: async (handler, replayStreamed) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await ReplicationStream.start(client, { ...options, replayStreamed }, handler)
        } catch (error) {
          const held = error instanceof PgferryError && error.code === 'PGFERRY_WAL_SLOT_ACTIVE'
          if (!held || attempt >= SLOT_ATTEMPTS) throw error
          await client.end().catch(() => undefined)
          await new Promise((r) => setTimeout(r, SLOT_RETRY_MS))
          client = await connect()
        }
      }
    },
  }
}
