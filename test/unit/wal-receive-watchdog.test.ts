import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ReceiveWatchdog } from '../../src/wal/receive-watchdog.js'

/** A watchdog with recording hooks; `paused` is switched by the test. */
function watchdog(timeoutMs: number): {
  dog: ReceiveWatchdog
  pings: number[]
  expired: number[]
  state: { paused: boolean }
} {
  const pings: number[] = []
  const expired: number[] = []
  const state = { paused: false }
  const dog = new ReceiveWatchdog(timeoutMs, {
    ping: () => pings.push(Date.now()),
    expire: () => expired.push(Date.now()),
    paused: () => state.paused,
  })
  return { dog, pings, expired, state }
}

// The verdict runs after one more poll phase (setImmediate), which the fake clock puts 1 ms on.
describe('receive watchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      now: 0,
      toFake: ['setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'],
    })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('asks for a reply at half the timeout and expires once, at the full timeout of silence', () => {
    const { dog, pings, expired } = watchdog(4000)
    dog.start()
    vi.advanceTimersByTime(1999)
    expect(pings).toEqual([])
    vi.advanceTimersByTime(1)
    expect(pings).toEqual([2000])
    vi.advanceTimersByTime(1999)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(2)
    expect(expired).toEqual([4001])
    vi.advanceTimersByTime(60_000)
    expect({ pings, expired }).toEqual({ pings: [2000], expired: [4001] })
  })

  it('every byte received restarts the clock, and the next silence is asked about again', () => {
    const { dog, pings, expired } = watchdog(4000)
    dog.start()
    vi.advanceTimersByTime(3000)
    dog.received() // the reply to the ping at 2000
    vi.advanceTimersByTime(3000)
    expect({ pings, expired }).toEqual({ pings: [2000, 5000], expired: [] })
    vi.advanceTimersByTime(1001)
    expect(expired).toEqual([7001])
  })

  it('time while the consumer holds reading paused does not count', () => {
    const { dog, pings, expired, state } = watchdog(4000)
    dog.start()
    state.paused = true
    vi.advanceTimersByTime(60_000)
    expect({ pings, expired }).toEqual({ pings: [], expired: [] })
    state.paused = false
    vi.advanceTimersByTime(4001)
    expect({ pings, expired }).toEqual({ pings: [62_000], expired: [64_001] })
  })

  it('a ping sent late (a stalled event loop) still gets half a timeout before the verdict', () => {
    const { dog, pings, expired } = watchdog(4000)
    dog.start()
    // the clock jumps past the whole timeout without a tick, as under a blocked event loop
    vi.setSystemTime(10_000)
    vi.advanceTimersByTime(1000)
    expect({ pings, expired }).toEqual({ pings: [11_000], expired: [] })
    vi.advanceTimersByTime(1999)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(2)
    expect(expired).toEqual([13_001])
  })

  it('bytes read in the poll phase after a late tick save the connection', () => {
    const { dog, expired } = watchdog(4000)
    dog.start()
    vi.advanceTimersByTime(3999)
    // the verdict is deferred past one poll phase (setImmediate): data read there counts
    vi.advanceTimersToNextTimer() // the tick at 4000 schedules the verdict
    dog.received()
    vi.runOnlyPendingTimers()
    expect(expired).toEqual([])
    // and without those bytes, the same moment is the verdict
    const silent = watchdog(4000)
    silent.dog.start()
    vi.advanceTimersByTime(4001)
    expect(silent.expired).toHaveLength(1)
  })

  it('0 disables it; stop() clears every timer', () => {
    const off = watchdog(0)
    off.dog.start()
    expect(vi.getTimerCount()).toBe(0)
    const on = watchdog(4000)
    on.dog.start()
    vi.advanceTimersByTime(3999)
    on.dog.stop()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(60_000)
    expect(on.expired).toEqual([])
  })
})
