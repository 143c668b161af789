/**
 * How the replication transport takes the socket from pg (replication-stream.ts): a submittable
 * query whose `submit` swaps pg's parser, the first 'data' listener, for our own reader and sends
 * the command; pg's other callbacks report the end (ReadyForQuery) or an error.
 */
import { PgferryError } from '../errors.js'

/** The parts of pg's internal Connection the transport uses. */
export interface PgConnection {
  readonly stream: NodeJS.ReadableStream & {
    write(data: Buffer): boolean
    destroy(): unknown
    pause(): unknown
    resume(): unknown
    listeners(event: 'data'): ((chunk: Buffer) => void)[]
  }
  query(text: string): void
}

/** What the stream learns from pg. */
export interface TakeoverHooks {
  /** The socket is ours: `pgData` is pg's parser, to hand the socket back to at the end. */
  attach(connection: PgConnection, pgData: (chunk: Buffer) => void): void
  error(error: unknown): void
  ready(): void
}

/** The object for `client.query`: on submit, read the socket with `onData` and send `command`. */
export function takeSocketSubmittable(
  command: string,
  onData: (chunk: Buffer) => void,
  hooks: TakeoverHooks,
): object {
  return {
    submit: (connection: PgConnection) => {
      const stream = connection.stream
      // pg's parser is the first 'data' listener (attached at connect); others (taps) stay
      const listeners = stream.listeners('data')
      const pgData = listeners[0]
      if (pgData === undefined)
        throw new PgferryError('PGFERRY_INTERNAL', 'pg connection has no data listener')
      stream.removeListener('data', pgData)
      stream.on('data', onData)
      hooks.attach(connection, pgData)
      connection.query(command)
    },
    handleError: (error: unknown) => hooks.error(error),
    handleReadyForQuery: () => hooks.ready(),
    handleCommandComplete: () => undefined,
    handleRowDescription: () => undefined,
    handleDataRow: () => undefined,
    handleEmptyQuery: () => undefined,
    handlePortalSuspended: () => undefined,
    handleCopyInResponse: () => undefined,
    handleCopyData: () => undefined,
  }
}

/** Give the socket back to pg's parser, with the bytes `rest` it has not seen yet. */
export function handSocketBack(
  connection: PgConnection,
  pgData: (chunk: Buffer) => void,
  onData: (chunk: Buffer) => void,
  rest: Buffer,
): void {
  connection.stream.removeListener('data', onData)
  connection.stream.on('data', pgData)
  if (rest.length > 0) pgData(rest)
  connection.stream.resume()
}
