// A flows run's output read back: one FlowResponse JSON per stdout line (runner/flows.ts writes them), each turned into
// the row <FlowLog> draws — who talked to whom, what Calico did, which policy decided, and what a staged policy would
// have done. Pure (zod and match.ts only): the deck runs it on live and recorded runs alike.
import { decidingHit, hitView } from './match.ts'
import type { HitView } from './match.ts'
import { flowRecord } from './whiskerApi.ts'
import type { FlowRecord } from './whiskerApi.ts'

export interface FlowRow {
  /** arrival order in the run (later = newer when times tie) */
  seq: number
  record: FlowRecord
  /** "dev1/productpage-v1-7d6cf6b8c4-*", "PUBLIC NETWORK", "allowed-outside-range" */
  source: string
  dest: string
  /** "9080/tcp" */
  port: string
  action: 'Allow' | 'Deny' | 'Other'
  /** Src: the source's node reported its egress verdict; Dst: the destination's node, its ingress verdict */
  reporter: 'Src' | 'Dst' | '?'
  /** the enforced hit that decided */
  enforced?: HitView
  /** what the pending trace (staged policies as if enforced) decides, when it has one */
  pending?: HitView
  /** the pending verdict differs from the enforced one: a staged policy would change this flow */
  wouldChange: boolean
}

const endpoint = (namespace: string, name: string): string => (namespace && namespace !== '-' ? `${namespace}/${name}` : name)

export function flowRow(record: FlowRecord, seq: number): FlowRow {
  const enforcedHit = decidingHit(record.policies.enforced)
  const pendingHit = decidingHit(record.policies.pending)
  const action = record.action === 'Allow' || record.action === 'Deny' ? record.action : 'Other'
  return {
    seq,
    record,
    source: endpoint(record.source_namespace, record.source_name),
    dest: endpoint(record.dest_namespace, record.dest_name),
    port: `${record.dest_port}/${record.protocol}`,
    action,
    reporter: record.reporter === 'Src' || record.reporter === 'Dst' ? record.reporter : '?',
    ...(enforcedHit ? { enforced: hitView(enforcedHit) } : {}),
    ...(pendingHit ? { pending: hitView(pendingHit) } : {}),
    wouldChange: !!pendingHit && pendingHit.action !== record.action,
  }
}

/** Newest first: by the record's end, then its start, then arrival. */
export function newestFirst(a: FlowRow, b: FlowRow): number {
  return Date.parse(b.record.end_time) - Date.parse(a.record.end_time) || Date.parse(b.record.start_time) - Date.parse(a.record.start_time) || b.seq - a.seq
}

/** Reads flow lines as they arrive (a line split across chunks included); keeps the newest `keep` rows. */
export class FlowLineReader {
  /** lines that were not flow records */
  rejected = 0
  /** rows left out by `keep` (the oldest) */
  dropped = 0
  private rowsNewest: FlowRow[] = []
  private partial = ''
  private seq = 0
  private readonly keep: number

  constructor(keep = 500) {
    this.keep = keep
  }

  get rows(): readonly FlowRow[] {
    return this.rowsNewest
  }

  feed(text: string): void {
    const lines = (this.partial + text).split('\n')
    this.partial = lines.pop() ?? ''
    const added = lines.flatMap((line) => this.line(line))
    if (added.length > 0) this.take(added)
  }

  /** The last line, when the output did not end with a newline (a truncated run). */
  end(): void {
    const last = this.partial
    this.partial = ''
    const added = this.line(last)
    if (added.length > 0) this.take(added)
  }

  private take(added: FlowRow[]): void {
    const all = [...this.rowsNewest, ...added].sort(newestFirst)
    this.dropped += Math.max(0, all.length - this.keep)
    this.rowsNewest = all.slice(0, this.keep)
  }

  private line(line: string): FlowRow[] {
    if (!line.trim()) return []
    try {
      const parsed = flowRecord.safeParse(JSON.parse(line))
      if (parsed.success) return [flowRow(parsed.data, this.seq++)]
    } catch {
      // not JSON: counted below
    }
    this.rejected++
    return []
  }
}
