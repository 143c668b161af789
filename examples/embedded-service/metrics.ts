/**
 * A small Prometheus registry in the text exposition format (version 0.0.4): counters and gauges
 * with labels, no dependency. A service that already uses prom-client would register the same
 * series there instead.
 */

type Labels = Readonly<Record<string, string>>

interface Family {
  readonly help: string
  readonly type: 'counter' | 'gauge'
  /** Value per label set, keyed by the rendered `{name="value",…}`. */
  readonly values: Map<string, number>
}

/** `{a="1",b="2"}`, label values escaped as the format requires. */
function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  )
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`
}

/** Counters and gauges, rendered for a `GET /metrics`. */
export class Metrics {
  readonly #families = new Map<string, Family>()

  #family(name: string, help: string, type: Family['type']): Family {
    let f = this.#families.get(name)
    if (f === undefined) {
      f = { help, type, values: new Map() }
      this.#families.set(name, f)
    }
    return f
  }

  /** A counter: only goes up. */
  counter(name: string, help: string): { inc(labels?: Labels, by?: number): void } {
    const f = this.#family(name, help, 'counter')
    return {
      inc: (labels = {}, by = 1) => {
        const key = labelText(labels)
        f.values.set(key, (f.values.get(key) ?? 0) + by)
      },
    }
  }

  /** A gauge: set to the latest value. */
  gauge(name: string, help: string): { set(labels: Labels, value: number): void } {
    const f = this.#family(name, help, 'gauge')
    return { set: (labels, value) => void f.values.set(labelText(labels), value) }
  }

  /** Every series in the text format. */
  render(): string {
    const lines: string[] = []
    for (const [name, f] of this.#families) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`)
      for (const [labels, value] of f.values) lines.push(`${name}${labels} ${value}`)
    }
    return lines.join('\n') + '\n'
  }
}
