/**
 * The source socket of a COPY lane: a net.Socket in Node's public `onread` mode, every read going
 * into one reused buffer (see direct-relay.ts for why). While a COPY is relayed the reads go to the
 * relay's sink; otherwise each is copied and pushed, so pg gets its bytes as from any socket.
 *
 * Created through pg's `stream` option (connect.ts), so pg connects it (TCP or Unix socket) and
 * never knows. Not for TLS: pg's upgrade wraps the plain socket, whose reads this mode has taken.
 */
import net from 'node:net'

const READ_BUFFER_BYTES = 65536 // libuv's own read size

/** A socket created by `relaySocket()`; `sink` takes each read while a COPY is relayed. */
export interface RelayReader {
  readonly socket: net.Socket
  /** Gets a view of the read buffer, valid until it returns; false stops reading. */
  sink: ((view: Buffer) => boolean) | null
}

const readers = new WeakMap<object, RelayReader>()

/** A new, unconnected socket whose reads go through a reused buffer (pg's `stream` factory). */
export function relaySocket(): net.Socket {
  const buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES)
  // The constructor handles `onread` (net.connect() hands its options to it); @types/node lists
  // it on the connect options only, hence the widened type.
  const options: net.SocketConstructorOpts & { onread: net.OnReadOpts } = {
    onread: {
      buffer,
      // Called once connected (`reader` is set by then). Returning false stops reading, as a push()
      // returning false does, until the stream asks for more or resume() is called.
      callback: (n: number): boolean => {
        const view = buffer.subarray(0, n)
        if (reader.sink !== null) return reader.sink(view)
        return socket.push(Buffer.from(view))
      },
    },
  }
  const socket = new net.Socket(options)
  const reader: RelayReader = { socket, sink: null }
  readers.set(socket, reader)
  return socket
}

/** The reader of a socket made by `relaySocket()`, or undefined for any other (or a closed) one. */
export function relayReaderOf(socket: unknown): RelayReader | undefined {
  if (typeof socket !== 'object' || socket === null) return undefined
  const reader = readers.get(socket)
  if (reader === undefined || reader.socket.destroyed) return undefined
  return reader
}
