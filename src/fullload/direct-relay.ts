/**
 * The COPY relay with no stream in the data path: the source socket reads into one reused buffer
 * and each run of CopyData messages is written to the target socket from there.
 *
 * Why: on the stream path every socket read is a fresh 64 KB ArrayBuffer, and that external memory
 * is what drives V8's collections (a scavenge per ~32 MB, a mark-compact of the whole heap per
 * ~100 MB). On 386 MB relayed alone that was about half of Node's user time; reading into a reused
 * buffer (Node's `onread` mode, `useUserBuffer`) leaves nearly nothing to collect.
 *
 * The protocol stays pg-copy-streams': the source query is the framed CopyToQuery (copy-relay.ts),
 * which now hands its byte ranges to the target socket instead of pushing them, and ends (or
 * errors) as before; the target query is the CopyFromQuery, fed by nothing but ended by the
 * pipeline, which sends CopyDone after the last range. Backpressure: a range the target socket did
 * not take at once still points into the read buffer, so the source socket stops reading until
 * it is written (and the end of the COPY waits for it too, before pg reads again).
 *
 * Node's user-buffer mode is reached through net.Socket internals (the `kBuffer`/`kBufferCb`
 * symbols, `_handle.useUserBuffer`); where they are not found (another Node, TLS), the caller
 * uses the stream path. Once switched, a socket stays in that mode: outside a COPY each read is
 * copied and pushed, as Node itself would have.
 */
import type pg from 'pg'
import { pipeline } from 'node:stream/promises'
import { framedCopyFrom, framedCopyTo, type RelaySink } from './copy-relay.js'

const READ_BUFFER_BYTES = 65536 // libuv's own read size
const EMPTY = Buffer.alloc(0)

/** The parts of a connected net.Socket this module relies on. */
interface SocketInternals {
  encrypted?: boolean
  destroyed: boolean
  _handle: { useUserBuffer?(b: Buffer): void } | null
  _read(n: number): void
  push(b: Buffer): boolean
  [key: symbol]: unknown
}

/** The parts of a target socket written to. */
interface WriteSocket {
  readonly writableLength: number
  write(b: Buffer, cb: (error?: Error | null) => void): boolean
}

/** A source socket in user-buffer mode; `sink` takes each read while a COPY is relayed. */
interface Reader {
  sink: ((b: Buffer) => boolean) | null
  readonly socket: SocketInternals
}

const readers = new WeakMap<object, Reader>()

function socketOf(client: pg.Client): unknown {
  return (client as unknown as { connection?: { stream?: unknown } }).connection?.stream
}

/** The client's socket switched to user-buffer reads, or undefined where that is not possible. */
function readerOf(client: pg.Client): Reader | undefined {
  const socket = socketOf(client) as SocketInternals | undefined
  if (socket === undefined || socket === null) return undefined
  const known = readers.get(socket)
  if (known !== undefined) return known
  if (socket.encrypted === true || socket.destroyed) return undefined
  const handle = socket._handle
  if (handle === null || typeof handle.useUserBuffer !== 'function') return undefined
  if (typeof socket._read !== 'function') return undefined
  let kBuffer: symbol | undefined
  let kBufferCb: symbol | undefined
  for (const sym of Object.getOwnPropertySymbols(socket)) {
    if (sym.description === 'kBuffer') kBuffer = sym
    else if (sym.description === 'kBufferCb') kBufferCb = sym
  }
  if (kBuffer === undefined || kBufferCb === undefined || socket[kBuffer] !== null) return undefined
  const buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES)
  const reader: Reader = { sink: null, socket }
  // Node calls this with the bytes read into `buffer`; false stops reading (as push() does).
  socket[kBufferCb] = (n: number, buf: Buffer): boolean => {
    const view = buf.subarray(0, n)
    if (reader.sink !== null) return reader.sink(view)
    return socket.push(Buffer.from(view))
  }
  socket[kBuffer] = buffer
  handle.useUserBuffer(buffer)
  readers.set(socket, reader)
  return reader
}

/** Whether `relayDirect` can run between these clients (else: the stream path). */
export function canRelayDirect(source: pg.Client, target: pg.Client): boolean {
  const t = socketOf(target) as Partial<WriteSocket> | undefined
  if (t === undefined || t === null || typeof t.write !== 'function') return false
  return readerOf(source) !== undefined
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
  const reader = readerOf(source)
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
    } else if (reader.sink !== null) reader.socket._read(0)
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
  // pg-copy-streams pauses the socket there, which in user-buffer mode stops its reading.
  const attach = f._attach.bind(from)
  f._attach = () => {
    attach()
    reader.sink = onRead
    reader.socket._read(0)
  }
  try {
    await pipeline(source.query(from), into)
  } finally {
    reader.sink = null
  }
  return { rows: into.rowCount, bytes: from.payloadBytes }
}
