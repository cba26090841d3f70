// Expected vs observed (and Calico's own verdict), as the Kubernetes netpol e2e suite holds them (reachability.go):
// every cell in one shape — a connection (policy/truthTable.ts's vocabulary) with one opinion per party — so comparing
// them is one loop. The server counts its summary with it; <ProbeMatrix> draws from it. No Node modules.
import { sameDecision } from '../flows/match.ts'
import type { Connection } from '../policy/truthTable.ts'
import { LineReader } from './wire.ts'
import type { EngineSideLine, HeaderLine, HitLine, MatrixCol, MatrixLine, MatrixRow, OpinionLine, OpinionSource, SettlingLine, SummaryLine, Verdict } from './wire.ts'

/** What one party says about a cell. */
export type Opinion = Omit<OpinionLine, 'kind' | 'by' | 'from' | 'to'>

export interface Cell extends Connection {
  /** `from|to`: the cell's key (row id, column id) */
  readonly key: string
  readonly row: MatrixRow
  readonly col: MatrixCol
  /** why this cell is never probed; undefined when it is */
  readonly unprobed: string | undefined
  readonly opinions: Partial<Record<OpinionSource, Opinion>>
}

/** How a cell's opinions compare (`settling`: it disagreed and is being probed again). */
export type CellState = 'match' | 'mismatch' | 'error' | 'pending' | 'not-probed' | 'no-expectation' | 'settling'

/** The parties whose opinion is compared with the expectation. */
const COMPARED: readonly OpinionSource[] = ['observed', 'calico']
/**
 * Parties a cell waits for. Calico's opinion may never come (flow logs not installed, a run recorded before they
 * were): without it a cell is compared on the others, and with an undecided one ("no flow record") likewise.
 */
const AWAITED: ReadonlySet<OpinionSource> = new Set(['observed'])

export const cellKey = (from: string, to: string): string => `${from}|${to}`

const decided = (v: Verdict | undefined): v is 'allowed' | 'denied' => v === 'allowed' || v === 'denied'

/** Every opinion but the expectation, against the expectation: the first disagreement, error or gap decides. */
export function cellState(cell: Cell): CellState {
  if (cell.unprobed !== undefined) return 'not-probed'
  const expected = cell.opinions.expected?.verdict
  let state: CellState = 'match'
  for (const by of COMPARED) {
    const opinion = cell.opinions[by]
    if (!opinion) {
      if (AWAITED.has(by)) return 'pending'
      continue
    }
    if (opinion.verdict === 'error') state = 'error'
    else if (!decided(opinion.verdict)) continue
    else if (!decided(expected)) state = state === 'match' ? 'no-expectation' : state
    else if (opinion.verdict !== expected) return 'mismatch'
  }
  return decided(expected) && calicoDisagreement(cell) !== undefined ? 'mismatch' : state
}

/** Which engine side a Calico side is compared with: a source record carries egress policy, a destination record ingress. */
function sidePairs(engine: { egress: EngineSideLine; ingress: EngineSideLine }, calico: { source?: { enforced?: HitLine | undefined } | undefined; destination?: { enforced?: HitLine | undefined } | undefined }): Array<[string, EngineSideLine, HitLine]> {
  const pairs: Array<[string, EngineSideLine, HitLine]> = []
  if (calico.source?.enforced && engine.egress.decidedBy !== 'outside-cluster') pairs.push(['egress', engine.egress, calico.source.enforced])
  if (calico.destination?.enforced && engine.ingress.decidedBy !== 'outside-cluster') pairs.push(['ingress', engine.ingress, calico.destination.enforced])
  return pairs
}

/** How the engine decided a cell, in Calico's words: the deciding side's tier › policy rule › action. */
export function engineDecisionText(view: { decidedBy: 'source' | 'destination' | 'both'; egress: EngineSideLine; ingress: EngineSideLine }): string {
  const side = (direction: string, s: EngineSideLine): string => {
    const action = s.allowed ? 'Allow' : 'Deny'
    switch (s.decidedBy) {
      case 'rule': return `${direction}: tier ${s.tier ?? '?'} › ${s.policy ?? '?'} ${s.rule ?? ''} › ${action}`
      case 'end-of-tier': return `${direction}: tier ${s.tier ?? '?'} › end of tier › Deny`
      case 'profile': return `${direction}: no policy, the namespace profile › Allow`
      case 'loopback': return `${direction}: its own address, no policy`
      default: return `${direction}: outside the cluster, no policy of its own`
    }
  }
  if (view.decidedBy === 'source') return side('egress', view.egress)
  if (view.decidedBy === 'destination') return side('ingress', view.ingress)
  return `${side('egress', view.egress)}; ${side('ingress', view.ingress)}`
}

/**
 * Where Calico's own account of a cell differs from the engine's, in one sentence; undefined when they agree or cannot
 * be compared. Verdicts first (allowed / denied, then the pending verdict of staged policies), then, side by side,
 * the deciding policy: a Calico hit naming another tier, policy or rule than the engine is a disagreement too.
 */
export function calicoDisagreement(cell: Pick<Cell, 'opinions'>): string | undefined {
  const expected = cell.opinions.expected
  const calico = cell.opinions.calico
  if (!expected || !calico || !decided(expected.verdict) || !decided(calico.verdict)) return undefined
  if (calico.verdict !== expected.verdict) return `the engine expects ${expected.verdict}, Calico's flow logs say ${calico.verdict}`
  const engine = expected.engine
  const view = calico.calico
  if (!engine || !view) return undefined
  for (const [direction, side, hit] of sidePairs(engine, view)) {
    const compared = sameDecision(side, hit)
    if (!compared.same) return `${direction}: ${compared.detail}`
  }
  if (engine.pending && view.pending) {
    const pending = view.pending.verdict === 'allowed' ? 'allowed' : 'denied'
    if (pending !== engine.pending.verdict) return `with staged policies the engine expects ${engine.pending.verdict}, Calico's pending trace says ${pending}`
    const side = view.pending.decidedBy === 'source' ? engine.pending.egress : engine.pending.ingress
    const compared = sameDecision(side, view.pending.hit)
    if (!compared.same) return `pending ${view.pending.decidedBy === 'source' ? 'egress' : 'ingress'}: ${compared.detail}`
  }
  return undefined
}

export class Reachability {
  readonly header: HeaderLine
  /** row-major, as the table is drawn */
  readonly cells = new Map<string, Cell>()
  summary: SummaryLine | undefined
  /** cells being probed again (a settling line named them; their next observation, or the summary, ends it) */
  readonly settling = new Set<string>()
  /** the last settling line, while a round is on */
  settlingRound: SettlingLine | undefined

  constructor(header: HeaderLine) {
    this.header = header
    const unprobed = new Map(header.unprobed.map((u) => [cellKey(u.from, u.to), u.note]))
    for (const row of header.rows) {
      for (const col of header.cols) {
        const key = cellKey(row.id, col.id)
        this.cells.set(key, { key, row, col, from: row.id, to: col.id, port: col.port, protocol: col.protocol, unprobed: unprobed.get(key), opinions: {} })
      }
    }
  }

  get rows(): MatrixRow[] {
    return this.header.rows
  }

  get cols(): MatrixCol[] {
    return this.header.cols
  }

  cell(from: string, to: string): Cell | undefined {
    return this.cells.get(cellKey(from, to))
  }

  /** Records an opinion; false when it names no cell of this matrix. */
  set(line: OpinionLine): boolean {
    const cell = this.cells.get(cellKey(line.from, line.to))
    if (!cell) return false
    const { kind: _kind, by, from: _from, to: _to, ...opinion } = line
    cell.opinions[by] = opinion
    if (by === 'observed') this.settling.delete(cell.key)
    return true
  }

  /** A settling round starts: its cells are being probed again. False when it names a cell of no matrix. */
  settle(line: SettlingLine): boolean {
    const keys = line.cells.map((c) => cellKey(c.from, c.to))
    if (!keys.every((k) => this.cells.has(k))) return false
    this.settlingRound = line
    for (const k of keys) this.settling.add(k)
    return true
  }

  /** The run ended: nothing is settling any more. */
  finish(summary: SummaryLine): void {
    this.summary = summary
    this.settling.clear()
    this.settlingRound = undefined
  }

  /** One pass over every cell: how many were probed, seen and answered by Calico, and which disagree or could not be checked. */
  compare(): { probed: number; observed: number; calico: number; mismatches: Cell[]; errors: Cell[]; states: Map<string, CellState> } {
    const states = new Map<string, CellState>()
    let probed = 0
    let observed = 0
    let calico = 0
    const mismatches: Cell[] = []
    const errors: Cell[] = []
    for (const cell of this.cells.values()) {
      const state = this.settling.has(cell.key) ? 'settling' : cellState(cell)
      states.set(cell.key, state)
      if (state !== 'not-probed') probed++
      if (cell.opinions.observed) observed++
      if (cell.opinions.calico) calico++
      if (state === 'mismatch') mismatches.push(cell)
      if (state === 'error') errors.push(cell)
    }
    return { probed, observed, calico, mismatches, errors, states }
  }
}

/** Builds a Reachability from matrix lines as they arrive; a new header starts a new matrix. */
export class MatrixReader {
  reachability: Reachability | undefined
  private readonly reader = new LineReader((line) => this.take(line))

  get rejected(): number {
    return this.reader.rejected
  }

  feed(text: string): void {
    this.reader.feed(text)
  }

  end(): void {
    this.reader.end()
  }

  private take(line: MatrixLine): void {
    if (line.kind === 'matrix') this.reachability = new Reachability(line)
    else if (!this.reachability) this.reader.rejected++
    else if (line.kind === 'opinion') {
      if (!this.reachability.set(line)) this.reader.rejected++
    } else if (line.kind === 'settling') {
      if (!this.reachability.settle(line)) this.reader.rejected++
    } else this.reachability.finish(line)
  }
}

/** Every matrix line of a finished text at once. */
export function readMatrix(text: string): MatrixReader {
  const reader = new MatrixReader()
  reader.feed(text)
  reader.end()
  return reader
}
