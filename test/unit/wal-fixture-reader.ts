/**
 * Test helper: run captured server bytes through the same pieces the transport uses (framer →
 * XLogData header → dispatcher with decoder and spool) and return every delivered message in a
 * plain, comparable form (bigints and Buffers turned into strings, copied before the callback ends).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BackendCode, CopyBothFramer, FrameResult } from '../../src/wal/copy-both-framer.js'
import { MessageDispatcher } from '../../src/wal/message-dispatcher.js'
import type { PgoutputMessage, TupleData } from '../../src/wal/pgoutput-messages.js'
import { ReplicationCode, XLOGDATA_HEADER } from '../../src/wal/standby-messages.js'
import { StreamSpool, type StreamSpoolOptions } from '../../src/wal/stream-spool.js'

export const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/pgoutput',
)

export const FIXTURE_NAMES = [
  'v12-p1',
  'v14-p1',
  'v14-p2-binary',
  'v14-p2-streaming',
  'v17-p1',
  'v17-p3-twophase',
  'v17-p4-all',
] as const

export function loadFixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, `${name}.bin`))
}

export type Plain = Record<string, unknown>

function plainTuple(t: TupleData | undefined): unknown {
  if (t === undefined) return undefined
  return Array.from({ length: t.length }, (_, i) => {
    const v = t.bytes(i)
    const kind = String.fromCharCode(t.kind(i))
    return v === null || v === undefined
      ? kind
      : `${kind}:${kind === 't' ? v.toString('utf8') : v.toString('hex')}`
  })
}

/** A JSON-able deep copy of a message (relations by schema.name). */
export function plain(m: PgoutputMessage): Plain {
  const out: Plain = {}
  for (const [k, v] of Object.entries(m)) {
    if (k === 'type') out[k] = String.fromCharCode(v as number)
    else if (typeof v === 'bigint') out[k] = v.toString()
    else if (Buffer.isBuffer(v)) out[k] = v.toString('utf8')
    else if (k === 'relation') {
      const r = v as { schema: string; name: string }
      out[k] = `${r.schema}.${r.name}`
    } else if (k === 'relations')
      out[k] = (v as { schema: string; name: string }[]).map((r) => `${r.schema}.${r.name}`)
    else if (k === 'newTuple' || k === 'oldTuple') out[k] = plainTuple(v as TupleData | undefined)
    else if (k === 'columns') out[k] = JSON.parse(JSON.stringify(v)) as unknown
    else out[k] = v
  }
  return out
}

export interface FeedResult {
  readonly messages: Plain[]
  readonly keepalives: number
  readonly frames: string
}

/** Feed `chunks` (the fixture split somehow) through framer and dispatcher. */
export function feed(
  chunks: Iterable<Buffer>,
  mode: 'spool' | 'raw',
  spoolOptions: StreamSpoolOptions = {},
): FeedResult {
  const messages: Plain[] = []
  let keepalives = 0
  let frames = ''
  const spool = mode === 'spool' ? new StreamSpool(spoolOptions) : undefined
  const dispatcher = new MessageDispatcher((m) => void messages.push(plain(m)), {
    spool,
    onResume: () => undefined,
    onError: (e) => {
      throw e
    },
  })
  const framer = new CopyBothFramer({
    frame(code, buffer, start, end) {
      frames += String.fromCharCode(code)
      if (code === BackendCode.CopyData) {
        if (buffer[start] === ReplicationCode.XLogData) {
          dispatcher.dispatch(
            buffer,
            start + XLOGDATA_HEADER,
            end,
            buffer.readBigUInt64BE(start + 1),
          )
        } else if (buffer[start] === ReplicationCode.Keepalive) {
          keepalives++
        } else throw new Error('unexpected CopyData')
      }
      return FrameResult.Continue
    },
  })
  for (const c of chunks) {
    if (!framer.push(c)) throw new Error('framer stopped')
  }
  spool?.close()
  return { messages, keepalives, frames }
}
