/**
 * The dispatcher of a replication stream and its spool, as `streamedTransactions` asks
 * (replication-stream.ts): 'raw' spools nothing, 'live' also delivers streamed blocks as they come.
 */
import { MessageDispatcher, type ReplicationHandler } from './message-dispatcher.js'
import type { ReplicationStreamOptions } from './replication-stream-options.js'
import { StreamSpool } from './stream-spool.js'

/** How the dispatcher reaches back into the stream. */
export interface DispatcherHooks {
  /** The consumer has finished a message: read on. */
  resume(): void
  /** The consumer failed: end the stream gracefully, then read on to the server's CopyDone. */
  fail(error: unknown): void
}

/** A dispatcher for `handler` with the spool it owns (undefined for 'raw'). */
export function streamDispatcher(
  handler: ReplicationHandler,
  options: ReplicationStreamOptions,
  hooks: DispatcherHooks,
): { dispatcher: MessageDispatcher; spool: StreamSpool | undefined } {
  const mode = options.streamedTransactions ?? 'spool'
  const spool = mode === 'raw' ? undefined : new StreamSpool(options.spool)
  const dispatcher = new MessageDispatcher(handler, {
    spool,
    live: mode === 'live',
    ...(options.replayStreamed !== undefined ? { replayStreamed: options.replayStreamed } : {}),
    onResume: () => hooks.resume(),
    onError: (error) => hooks.fail(error),
  })
  return { dispatcher, spool }
}
