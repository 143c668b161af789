/**
 * The COPY relay with no stream in the data path: the source socket reads into one reused buffer
 * and each run of CopyData messages is written to the target socket from there.
 *
 * Why: on the stream path every socket read is a fresh 64 KB ArrayBuffer, and that external memory
 * is what drives V8's collections (a scavenge per ~32 MB, a mark-compact of the whole heap per
 * ~100 MB). On 386 MB relayed alone that was about half of Node's user time; reading into a reused
 * buffer (Node's `onread` mode) leaves nearly nothing to collect.
 *
 * The protocol stays pg-copy-streams': the source query is the framed CopyToQuery (copy-relay.ts),
 * which now hands its byte ranges to the target socket instead of pushing them, and ends (or
 * errors) as before; the target query is the CopyFromQuery, fed by nothing but ended by the
 * pipeline, which sends CopyDone after the last range. Backpressure: a range the target socket did
 * not take at once still points into the read buffer, so the source socket stops reading until
 * it is written (and the end of the COPY waits for it too, before pg reads again).
 *
 * The source socket is the lane's `relaySocket()` (relay-socket.ts), in Node's public `onread`
 * mode; a client on any other socket (TLS, or not opened by the copy lanes) uses the stream path.
 * Outside a COPY the socket copies each read and pushes it, as Node itself would have.
 */
import type pg from 'pg'
import { pipeline } from 'node:stream/promises'
import { framedCopyFrom, framedCopyTo, type RelaySink } from './copy-relay.js'
import { relayReaderOf } from './relay-socket.js'

const EMPTY = Buffer.alloc(0)

/** The parts of a target socket written to. */
interface WriteSocket {
  readonly writableLength: number
  write(b: Buffer, cb: (error?: Error | null) => void): boolean
}

function socketOf(client: pg.Client): unknown {
  return (client as unknown as { connection?: { stream?: unknown } }).connection?.stream
}

/** Whether `relayDirect` can run between these clients (else: the stream path). */
export function canRelayDirect(source: pg.Client, target: pg.Client): boolean {
  const t = socketOf(target) as Partial<WriteSocket> | undefined
  if (t === undefined || t === null || typeof t.write !== 'function') return false
  return relayReaderOf(socketOf(source)) !== undefined
}

/** The target COPY has started (CopyInResponse), or failed to. */
function copyInStarted(into: ReturnType<typeof framedCopyFrom>): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error)
    into.once('error', onError)
    // A zero-length chunk is flushed (as nothing) only once the server is in COPY IN.
    into.write(EMPTY, (error) => {
      into.off('error', onError)
      if (error) reject(error)
      else resolve()
    })
  })
}

/**
 * Relay one COPY from `source` to `target` (see the module comment). Resolves with the rows the
 * target stored and the payload bytes relayed; rejects on any error, leaving the closing of both
 * connections to the caller. `onBytes` is called with the payload bytes of each socket read.
 */
export async function relayDirect(
  source: pg.Client,
  target: pg.Client,
  sourceSql: string,
  targetSql: string,
  onBytes?: (bytes: number) => void,
): Promise<{ rows: number; bytes: number }> {
  const reader = relayReaderOf(socketOf(source))
  const out = socketOf(target) as WriteSocket
  if (reader === undefined)
    throw new Error('relayDirect: the source socket cannot be read directly')
  const into = target.query(framedCopyFrom(targetSql))
  await copyInStarted(into)

  let waiting = false // reading stopped until the target socket has written everything
  let finish: (() => void) | null = null // the end of the COPY, deferred until then
  const onWritten = (error?: Error | null): void => {
    if (error || !waiting || out.writableLength > 0) return
    waiting = false
    if (finish !== null) {
      const f = finish
      finish = null
      f()
    } else if (reader.sink !== null) reader.socket.resume()
  }
  const sink: RelaySink = {
    write: (run) => {
      out.write(run, onWritten)
    },
    end: (f) => {
      reader.sink = null
      if (out.writableLength > 0) {
        waiting = true
        finish = f
      } else f()
    },
  }
  const from = framedCopyTo(sourceSql, sink)
  const f = from as unknown as {
    _read(): void
    _forward(): void
    _attach(): void
    _parse(b: Buffer): unknown
  }
  // Nothing is pushed but the end: the pipeline only ends `into` (CopyDone) and carries errors;
  // and nothing but this module restarts the source socket's reading.
  f._read = () => undefined
  f._forward = () => undefined
  let bytes = 0
  const onRead = (view: Buffer): boolean => {
    f._parse(view)
    if (onBytes !== undefined && from.payloadBytes !== bytes) {
      onBytes(from.payloadBytes - bytes)
      bytes = from.payloadBytes
    }
    // Also after the end of the COPY: its last ranges may still point into the read buffer.
    if (!waiting && out.writableLength === 0) return true
    waiting = true
    return false
  }
  // pg submits the query when the client is free: from then on the socket's bytes are this COPY's.
  // pg-copy-streams pauses the socket there, which in `onread` mode stops its reading. resume() is
  // the public way to read again in that mode (Node's docs: pause() and resume() behave as
  // expected; it starts the handle's reads whatever the stream's state); with pg-copy-streams'
  // 'readable' listener on the socket it does not make the stream flow.
  const attach = f._attach.bind(from)
  f._attach = () => {
    attach()
    reader.sink = onRead
    reader.socket.resume()
  }
  try {
    await pipeline(source.query(from), into)
  } finally {
    reader.sink = null
  }
  return { rows: into.rowCount, bytes: from.payloadBytes }
}
