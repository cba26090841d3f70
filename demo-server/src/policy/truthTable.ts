// Connectivity maps (expected and observed in the same shape, so comparing is one loop) and the `.`/`X`
// truth table the Kubernetes netpol e2e suite prints (test/e2e/network/netpol/truthtable.go): rows are
// sources, columns destinations, "." allowed, "X" denied, "?" unknown.
import type { Protocol } from './model.ts'

export interface Connection {
  readonly from: string
  readonly to: string
  readonly port: number
  readonly protocol: Protocol
}

/** "from → to port/protocol": the key of both expected and observed connectivity. */
export function connectionKey(c: Connection): string {
  return `${c.from} → ${c.to} ${c.port}/${c.protocol}`
}

export type Connectivity = ReadonlyMap<string, boolean>

export function toConnectivity(results: readonly (Connection & { readonly allowed: boolean })[]): Map<string, boolean> {
  return new Map(results.map((r) => [connectionKey(r), r.allowed]))
}

export interface ConnectivityMismatch {
  readonly key: string
  readonly expected: boolean
  /** undefined when the observed side has no value for this connection. */
  readonly observed: boolean | undefined
}

/** Every connection of `expected` whose observed value differs or is missing, in `expected` order. */
export function compareConnectivity(expected: Connectivity, observed: Connectivity): ConnectivityMismatch[] {
  const out: ConnectivityMismatch[] = []
  for (const [key, want] of expected) {
    const got = observed.get(key)
    if (got !== want) out.push({ key, expected: want, observed: got })
  }
  return out
}

export interface TruthTable {
  readonly title: string
  readonly froms: readonly string[]
  readonly tos: readonly string[]
  /** values.get(from)?.get(to); missing means unknown. */
  readonly values: ReadonlyMap<string, ReadonlyMap<string, boolean>>
}

/**
 * One table per port/protocol, in first-seen order; rows and columns in first-seen order unless given.
 */
export function truthTables(
  results: readonly (Connection & { readonly allowed: boolean })[],
  order: { readonly froms?: readonly string[]; readonly tos?: readonly string[] } = {},
): TruthTable[] {
  const groups = new Map<string, (Connection & { readonly allowed: boolean })[]>()
  for (const r of results) {
    const title = `${r.port}/${r.protocol}`
    const g = groups.get(title)
    if (g) g.push(r)
    else groups.set(title, [r])
  }
  return [...groups].map(([title, rows]) => {
    const seenFroms = [...new Set(rows.map((r) => r.from))]
    const seenTos = [...new Set(rows.map((r) => r.to))]
    const froms = order.froms ? order.froms.filter((f) => seenFroms.includes(f)) : seenFroms
    const tos = order.tos ? order.tos.filter((t) => seenTos.includes(t)) : seenTos
    const values = new Map<string, Map<string, boolean>>()
    for (const r of rows) {
      let row = values.get(r.from)
      if (!row) values.set(r.from, (row = new Map()))
      row.set(r.to, r.allowed)
    }
    return { title, froms, tos, values }
  })
}

/** Cell-by-cell comparison: "." where both agree, "X" where they differ, "?" where either is unknown. */
export function compareTruthTables(expected: TruthTable, observed: TruthTable): TruthTable {
  const values = new Map<string, Map<string, boolean>>()
  for (const from of expected.froms) {
    const row = new Map<string, boolean>()
    for (const to of expected.tos) {
      const a = expected.values.get(from)?.get(to)
      const b = observed.values.get(from)?.get(to)
      if (a !== undefined && b !== undefined) row.set(to, a === b)
    }
    values.set(from, row)
  }
  return { title: `${expected.title} (expected vs observed: "." agree, "X" differ)`, froms: expected.froms, tos: expected.tos, values }
}

/**
 * Renders like truthtable.go PrettyPrint — a "-" corner, destinations across, sources down, "."/"X"/"?" —
 * but padded to columns so long pod names stay aligned.
 */
export function printTruthTable(table: TruthTable, indent = ''): string {
  const header = ['-', ...table.tos]
  const rows = table.froms.map((from) => [
    from,
    ...table.tos.map((to) => {
      const v = table.values.get(from)?.get(to)
      return v === undefined ? '?' : v ? '.' : 'X'
    }),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  const line = (cells: readonly string[]): string =>
    indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}
