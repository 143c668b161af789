/**
 * Peak resident memory of this Node process, sampled every 100 ms. pgferry runs in-process, so the
 * benchmark marks the spans where pgferry is the one working (`during`) and reads the peak of those.
 */
export class RssSampler {
  #timer: NodeJS.Timeout | undefined
  #active = 0
  #peak = 0

  start(): void {
    this.#timer = setInterval(() => this.#sample(), 100)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
  }

  /** Peak RSS in MB seen inside `during` spans since the last `reset`, then reset. */
  takePeakMb(): number {
    const p = this.#peak
    this.#peak = 0
    return p / 1048576
  }

  /** Run `fn` with sampling counted towards the peak. */
  async during<T>(fn: () => Promise<T>): Promise<T> {
    this.#active++
    this.#sample()
    try {
      return await fn()
    } finally {
      this.#sample()
      this.#active--
    }
  }

  #sample(): void {
    if (this.#active === 0) return
    const rss = process.memoryUsage.rss()
    if (rss > this.#peak) this.#peak = rss
  }
}
