// Calico's own verdict for a matrix cell, read from flow records: which records belong to the cell, what they say,
// and which policy decided. Pure (zod-free, Node-free): the deck can run it on recorded flows.
//
// How Calico v3.31.7 records a connection (file:line at the tag, README.md has the detail):
// - Each node reports what its endpoints did: reporter "Src" = the source's node, carrying the egress policy trace of
//   the source pod; "Dst" = the destination's node, with the ingress trace of the destination pod
//   (felix/collector/collector.go:818-835). A connection denied at egress never reaches the destination: no Dst record.
// - Names are aggregated: a pod with a generateName (every Deployment pod) is reported as generateName + "*"
//   (felix/collector/types/endpoint/endpoint.go:86-92), a bare pod by its name; an address Calico does not know as
//   "PUBLIC NETWORK" / "PRIVATE NETWORK" with namespace "-" (endpoint.go:70-76, 122-133; protoconvert.go:182-190).
//   So two outside clients of one class, or two replicas of one ReplicaSet, cannot be told apart: such cells are
//   "ambiguous", never guessed.
// - dest_port is the backend's port after DNAT (felix/collector/goldmane/client.go:131): a cell names the port its backends receive.
// - Times are Goldmane's 15 s buckets (goldmane/pkg/storage/bucket_ring.go:322-373); a probe at t sits in the bucket
//   holding the start of Felix's 15 s interval, so a record of it starts at or before t and ends after t - 15 s.
// - A record's key includes its policy trace (goldmane/pkg/types/flow.go FlowKey): the same connection before and
//   after a policy change gives two records. Records of one side that disagree are a "conflict", shown as such.
// - policies.enforced / .pending: hits in evaluation order (policy_index); the last non-Pass hit decided
//   (goldmane/proto/api.proto:432-460; app-policy/checker/check.go:112-209 builds the pending trace the same way).
import { FELIX_FLUSH_SECONDS } from './whiskerApi.ts'
import type { FlowRecord, PolicyHit, PolicyKind } from './whiskerApi.ts'

export interface CellPod {
  namespace: string
  /** the pod's name */
  pod: string
  /** metadata.generateName when the pod has one: flow logs name it generateName + "*" */
  generateName?: string
  ip?: string
}

export interface FlowCell {
  /** the caller's key for the cell (e.g. "from|to") */
  key: string
  /** a pod, or an outside client (ip only; `networkSet` when its address is in a Calico (Global)NetworkSet) */
  from: { namespace?: string; pod?: string; generateName?: string; ip: string; networkSet?: { name: string; namespace?: string } }
  to: {
    namespace: string
    /** the Service probed (for messages) */
    service?: string
    /** the pods behind it: a record to any of them counts */
    backends: readonly CellPod[]
    /** the port the backends receive (the Service's targetPort: flow logs carry the port after DNAT) */
    port: number
    protocol: 'TCP' | 'UDP' | 'SCTP'
  }
  /** when the probe ran, ms since the epoch */
  windowStart: number
  windowEnd: number
}

export interface HitView {
  kind: PolicyKind
  tier: string
  name: string
  namespace: string
  action: 'Allow' | 'Deny' | 'Pass' | 'ActionUnspecified'
  policyIndex: number
  /** -1 for an end-of-tier hit */
  ruleIndex: number
  /** for an end-of-tier hit: the policy whose selection made the tier's default action apply */
  trigger?: { kind: PolicyKind; name: string; namespace: string }
  /** "tier default › dev1/details › Allow (rule 0)" */
  text: string
}

export interface SideVerdict {
  /** Src: the source's egress policy; Dst: the destination's ingress policy */
  reporter: 'Src' | 'Dst'
  action: 'Allow' | 'Deny'
  /** the hit that decided, from policies.enforced */
  enforced?: HitView
  /** what would decide with staged policies enforced, from policies.pending (absent when the record has none) */
  pending?: { action: 'Allow' | 'Deny'; hit: HitView }
  /** older records of this reporter in the window that said the other action (before a policy change) */
  superseded?: number
  /** records of its newest bucket name different deciding policies (a policy changed within it): none is named */
  hitsDiffer?: boolean
  /** the end of its newest record */
  lastEnd: string
}

export type CellFlowState = 'allowed' | 'denied' | 'partial' | 'conflict' | 'ambiguous' | 'no-record'

export interface RecordRef {
  reporter: 'Src' | 'Dst'
  action: string
  start: string
  end: string
  source: string
  dest: string
  enforced: string[]
  pending: string[]
}

export interface CellFlowResult {
  key: string
  state: CellFlowState
  /** Calico's verdict: present for allowed / denied */
  verdict?: 'allow' | 'deny'
  /** whose record decided: the source's egress or the destination's ingress */
  decidedBy?: 'source' | 'destination'
  /** the enforced hit that decided (for an allowed cell, the destination's ingress hit) */
  enforced?: HitView
  /** the verdict with staged policies enforced, when the records carry pending traces for every side needed */
  pending?: { verdict: 'allow' | 'deny'; decidedBy: 'source' | 'destination'; hit: HitView }
  source?: SideVerdict
  destination?: SideVerdict
  /** the records that matched, newest first (at most 8) */
  records: RecordRef[]
  /** one sentence for the hover text */
  note: string
}

/** How flow logs name an address Calico does not know (felix/collector/types/endpoint/endpoint.go:122-133). */
export function networkName(ip: string): 'PRIVATE NETWORK' | 'PUBLIC NETWORK' {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(ip)
  const a = Number(m?.[1])
  const b = Number(m?.[2])
  const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  return isPrivate ? 'PRIVATE NETWORK' : 'PUBLIC NETWORK'
}

/** The flow-log name of a pod: generateName + "*" when known. */
export function aggregatedName(pod: { pod: string; generateName?: string }): string {
  return pod.generateName ? `${pod.generateName}*` : pod.pod
}

/** Does a record's (aggregated) name cover this pod? Exact when the generateName is known, else by prefix. */
export function nameCovers(recordName: string, pod: { pod: string; generateName?: string }): boolean {
  if (pod.generateName !== undefined) return recordName === aggregatedName(pod)
  if (recordName === pod.pod) return true
  return recordName.endsWith('*') && recordName.length > 1 && pod.pod.startsWith(recordName.slice(0, -1))
}

const seconds = (iso: string): number => Date.parse(iso) / 1000

export function hitView(h: PolicyHit): HitView {
  const trigger = h.trigger ? { kind: h.trigger.kind, name: h.trigger.name, namespace: h.trigger.namespace } : undefined
  const tier = h.tier ? `tier ${h.tier} › ` : ''
  let what: string
  if (h.kind === 'EndOfTier') {
    const by = trigger ? `${trigger.kind.startsWith('Staged') ? 'staged ' : ''}${trigger.namespace ? `${trigger.namespace}/` : ''}${trigger.name}` : '?'
    what = `end of tier (selected by ${by})`
  } else if (h.kind === 'Profile') {
    what = `profile ${h.name}`
  } else {
    const staged = h.kind.startsWith('Staged') ? 'staged ' : ''
    const k8s = h.kind === 'NetworkPolicy' || h.kind === 'StagedKubernetesNetworkPolicy' ? 'k8s ' : ''
    what = `${staged}${k8s}${h.namespace ? `${h.namespace}/` : ''}${h.name}`
  }
  const rule = h.rule_index >= 0 && h.kind !== 'Profile' ? ` (rule ${h.rule_index})` : ''
  return {
    kind: h.kind,
    tier: h.tier,
    name: h.name,
    namespace: h.namespace,
    action: h.action,
    policyIndex: h.policy_index,
    ruleIndex: h.rule_index,
    ...(trigger ? { trigger } : {}),
    text: `${tier}${what} › ${h.action}${rule}`,
  }
}

/** The hit that decided a trace: the last one in evaluation order that is not a Pass. */
export function decidingHit(trace: readonly PolicyHit[] | null): PolicyHit | undefined {
  if (!trace || trace.length === 0) return undefined
  const ordered = [...trace].sort((a, b) => a.policy_index - b.policy_index)
  for (let i = ordered.length - 1; i >= 0; i--) {
    const h = ordered[i] as PolicyHit
    if (h.action === 'Allow' || h.action === 'Deny') return h
  }
  return undefined
}

/**
 * One reporter's verdict from its records (newest first). Records that disagree are a conflict — unless the newest
 * verdict's records end in a later bucket than every record of the other: then the older ones are from before a
 * policy change just ahead of the run (a record's key includes its policy trace, so each trace has its own record)
 * and the newer verdict stands, with `superseded` saying so.
 */
function sideVerdict(records: readonly FlowRecord[], reporter: 'Src' | 'Dst'): SideVerdict | 'conflict' | undefined {
  let mine = records.filter((r) => r.reporter === reporter && (r.action === 'Allow' || r.action === 'Deny'))
  if (mine.length === 0) return undefined
  let superseded = 0
  if (new Set(mine.map((r) => r.action)).size > 1) {
    const newestAction = (mine[0] as FlowRecord).action
    const lastOther = Math.max(...mine.filter((r) => r.action !== newestAction).map((r) => seconds(r.end_time)))
    const newer = mine.filter((r) => r.action === newestAction && seconds(r.end_time) > lastOther)
    if (newer.length === 0) return 'conflict'
    superseded = mine.length - newer.length
    mine = newer
  }
  const newest = mine[0] as FlowRecord
  // records of the newest bucket that agree on the action but name another deciding policy: a policy changed within
  // that bucket, and nothing tells which trace this probe took — the action stands, the policy is not named
  const hitKey = (h: PolicyHit | undefined): string => (h ? `${h.kind} ${h.namespace}/${h.name} ${h.rule_index}` : '')
  const newestHit = hitKey(decidingHit(newest.policies.enforced))
  const hitsDiffer = mine.some((r) => r.end_time === newest.end_time && hitKey(decidingHit(r.policies.enforced)) !== newestHit)
  const enforced = hitsDiffer ? undefined : decidingHit(newest.policies.enforced)
  const pendingHit = decidingHit(newest.policies.pending)
  return {
    reporter,
    action: newest.action as 'Allow' | 'Deny',
    ...(enforced ? { enforced: hitView(enforced) } : {}),
    ...(pendingHit ? { pending: { action: pendingHit.action as 'Allow' | 'Deny', hit: hitView(pendingHit) } } : {}),
    ...(superseded > 0 ? { superseded } : {}),
    ...(hitsDiffer ? { hitsDiffer } : {}),
    lastEnd: newest.end_time,
  }
}

function sourceIdentity(cell: FlowCell): { namespace: string | undefined; matches: (r: FlowRecord) => boolean; label: string } {
  const from = cell.from
  if (from.pod && from.namespace) {
    const pod = { pod: from.pod, ...(from.generateName !== undefined ? { generateName: from.generateName } : {}) }
    return {
      namespace: from.namespace,
      matches: (r) => r.source_namespace === from.namespace && nameCovers(r.source_name, pod),
      label: `${from.namespace}/${aggregatedName(pod)}`,
    }
  }
  if (from.networkSet) {
    const set = from.networkSet
    const ns = set.namespace ?? '-'
    return { namespace: undefined, matches: (r) => r.source_name === set.name && (r.source_namespace === ns || (!set.namespace && r.source_namespace === '')), label: `network set ${set.name}` }
  }
  const name = networkName(from.ip)
  return { namespace: undefined, matches: (r) => (r.source_name === name) && (r.source_namespace === '-' || r.source_namespace === ''), label: name }
}

function recordRef(r: FlowRecord): RecordRef {
  const hits = (t: readonly PolicyHit[] | null): string[] => [...(t ?? [])].sort((a, b) => a.policy_index - b.policy_index).map((h) => hitView(h).text)
  return {
    reporter: r.reporter as 'Src' | 'Dst',
    action: r.action,
    start: r.start_time,
    end: r.end_time,
    source: `${r.source_namespace === '-' || r.source_namespace === '' ? '' : `${r.source_namespace}/`}${r.source_name}`,
    dest: `${r.dest_namespace}/${r.dest_name}:${r.dest_port}/${r.protocol}`,
    enforced: hits(r.policies.enforced),
    pending: hits(r.policies.pending),
  }
}

/**
 * Matches flow records to cells. Every cell gets a result; a verdict only when records say it. `records` may come
 * from a list (aggregated over the window) or a stream (per 15 s bucket).
 */
export function matchFlowsToCells(cells: readonly FlowCell[], records: readonly FlowRecord[]): CellFlowResult[] {
  const timed = records.filter((r) => seconds(r.start_time) > 0)
  const untimed = records.length - timed.length
  const byNewest = [...timed].sort((a, b) => seconds(b.end_time) - seconds(a.end_time))

  // cells whose source cannot be told apart from another cell's source, towards the same destination at overlapping times
  const identities = cells.map((c) => sourceIdentity(c).label)
  const ambiguousWith = new Map<number, string>()
  cells.forEach((a, i) => {
    cells.forEach((b, j) => {
      if (i >= j || identities[i] !== identities[j]) return
      const sameSource = a.from.ip === b.from.ip && a.from.pod === b.from.pod
      const sameDest = a.to.namespace === b.to.namespace && a.to.port === b.to.port && a.to.protocol === b.to.protocol &&
        a.to.backends.some((x) => b.to.backends.some((y) => x.pod === y.pod))
      const overlap = a.windowStart <= b.windowEnd && b.windowStart <= a.windowEnd
      if (!sameSource && sameDest && overlap) {
        ambiguousWith.set(i, describeFrom(b))
        ambiguousWith.set(j, describeFrom(a))
      }
    })
  })

  return cells.map((cell, i) => {
    const base = { key: cell.key }
    const source = sourceIdentity(cell)
    const from = cell.windowStart / 1000 - FELIX_FLUSH_SECONDS
    const to = cell.windowEnd / 1000
    const proto = cell.to.protocol.toLowerCase()
    const matched = byNewest.filter((r) =>
      r.protocol.toLowerCase() === proto &&
      r.dest_port === cell.to.port &&
      r.dest_namespace === cell.to.namespace &&
      cell.to.backends.some((b) => nameCovers(r.dest_name, b)) &&
      source.matches(r) &&
      seconds(r.start_time) <= to &&
      seconds(r.end_time) > from)
    const refs = matched.slice(0, 8).map(recordRef)
    const target = `${cell.to.service ? `${cell.to.namespace}/${cell.to.service}` : cell.to.namespace}:${cell.to.port}/${cell.to.protocol}`
    const other = ambiguousWith.get(i)
    if (other !== undefined) {
      return {
        ...base, state: 'ambiguous', records: refs,
        note: `flow logs name both ${describeFrom(cell)} and ${other} "${source.label}": their records to ${target} cannot be told apart`,
      }
    }
    if (matched.length === 0) {
      const late = untimed > 0 ? ` (${untimed} record${untimed === 1 ? '' : 's'} without times ignored)` : ''
      return { ...base, state: 'no-record', records: [], note: `no flow record from ${source.label} to ${target} in this window${late}` }
    }
    const src = sideVerdict(matched, 'Src')
    let dst = sideVerdict(matched, 'Dst')
    // denied at egress never reaches the destination: an allowing destination record older than the source's denial is
    // from before a policy change (the same rule as for one reporter's records)
    if (src !== 'conflict' && dst !== 'conflict' && src?.action === 'Deny' && dst?.action === 'Allow' && seconds(dst.lastEnd) < seconds(src.lastEnd)) {
      src.superseded = (src.superseded ?? 0) + matched.filter((r) => r.reporter === 'Dst').length
      dst = undefined
    }
    if (src === 'conflict' || dst === 'conflict' || (src?.action === 'Deny' && dst?.action === 'Allow')) {
      return {
        ...base, state: 'conflict', records: refs,
        note: `the records for ${source.label} → ${target} disagree (allowed and denied in the same window: did a policy change during the run?)`,
      }
    }
    const sides = { ...(src ? { source: src } : {}), ...(dst ? { destination: dst } : {}) }
    const older = (src?.superseded ?? 0) + (dst?.superseded ?? 0)
    const differ = src?.hitsDiffer || dst?.hitsDiffer ? ' (records of one 15 s bucket name different policies: one changed during it, so none is named)' : ''
    const olderNote = `${differ}${older > 0 ? ` (${older} older record${older === 1 ? '' : 's'} in the window said otherwise: from before the last policy change)` : ''}`
    const pending = pendingVerdict(cell, src, dst)
    const withPending = pending ? { pending } : {}
    if (src?.action === 'Deny') {
      return {
        ...base, state: 'denied', verdict: 'deny', decidedBy: 'source', ...(src.enforced ? { enforced: src.enforced } : {}), ...withPending, ...sides, records: refs,
        note: `Calico denied it at egress from ${source.label}${src.enforced ? `: ${src.enforced.text}` : ''}${olderNote}`,
      }
    }
    if (dst?.action === 'Deny') {
      return {
        ...base, state: 'denied', verdict: 'deny', decidedBy: 'destination', ...(dst.enforced ? { enforced: dst.enforced } : {}), ...withPending, ...sides, records: refs,
        note: `Calico denied it at ingress to ${target}${dst.enforced ? `: ${dst.enforced.text}` : ''}${olderNote}`,
      }
    }
    if (dst?.action === 'Allow') {
      const unseen = cell.from.pod && !src ? ' (no record from the source node yet)' : ''
      return {
        ...base, state: 'allowed', verdict: 'allow', decidedBy: 'destination', ...(dst.enforced ? { enforced: dst.enforced } : {}), ...withPending, ...sides, records: refs,
        note: `Calico allowed it${dst.enforced ? `: ${dst.enforced.text}` : ''}${unseen}${olderNote}`,
      }
    }
    return {
      ...base, state: 'partial', ...withPending, ...sides, records: refs,
      note: `the source's egress allowed it${src?.enforced ? ` (${src.enforced.text})` : ''}; no record from the destination's node yet${olderNote}`,
    }
  })
}

function describeFrom(cell: FlowCell): string {
  return cell.from.pod && cell.from.namespace ? `${cell.from.namespace}/${cell.from.pod}` : cell.from.ip
}

/**
 * The verdict with staged policies enforced: a pending Deny at either side denies; an Allow needs the pending
 * trace of every side that reports (the source's when it is a pod, and the destination's).
 */
function pendingVerdict(cell: FlowCell, src: SideVerdict | undefined, dst: SideVerdict | undefined): CellFlowResult['pending'] {
  if (src?.pending?.action === 'Deny') return { verdict: 'deny', decidedBy: 'source', hit: src.pending.hit }
  if (dst?.pending?.action === 'Deny') return { verdict: 'deny', decidedBy: 'destination', hit: dst.pending.hit }
  const sourceKnown = !cell.from.pod || src?.pending?.action === 'Allow'
  if (sourceKnown && dst?.pending?.action === 'Allow') return { verdict: 'allow', decidedBy: 'destination', hit: dst.pending.hit }
  return undefined
}

// ---- comparing with the policy engine ----------------------------------------------------------------------------

/** A hit as it travels: HitView, or its line on the wire (matrix/wire.ts hitLine), where the kind is plain text. */
export type HitLike = Pick<HitView, 'tier' | 'name' | 'namespace' | 'action' | 'ruleIndex' | 'text'> & { kind: string }

/** The engine's name for the policy of a hit (demo-server/src/policy/compiled.ts CompiledPolicy.id), if it has one. */
export function engineId(hit: Pick<HitLike, 'kind' | 'name' | 'namespace'>): string | undefined {
  switch (hit.kind) {
    case 'CalicoNetworkPolicy':
      return `${hit.namespace}/${hit.name}`
    case 'NetworkPolicy':
      return `${hit.namespace}/knp.default.${hit.name}`
    case 'GlobalNetworkPolicy':
      return hit.name
    case 'StagedNetworkPolicy':
      return `${hit.namespace}/staged:${hit.name}`
    case 'StagedKubernetesNetworkPolicy':
      return `${hit.namespace}/staged:knp.default.${hit.name}`
    case 'StagedGlobalNetworkPolicy':
      return `staged:${hit.name}`
    default:
      return undefined
  }
}

/** What the engine said decided one side (demo-server/src/policy/reachability.ts Verdict). */
export interface EngineSide {
  allowed: boolean
  decidedBy: 'rule' | 'end-of-tier' | 'profile' | 'outside-cluster' | 'loopback'
  tier?: string | undefined
  policy?: string | undefined
  /** "ingress[0]" */
  rule?: string | undefined
}

/**
 * Do the engine and Calico name the same decision for one side? Same action, and the same policy and rule (or the
 * same end of tier, or both a profile). `detail` says what differs.
 */
export function sameDecision(engine: EngineSide, calico: HitLike): { same: boolean; detail: string } {
  const calicoAllows = calico.action === 'Allow'
  if (engine.allowed !== calicoAllows) return { same: false, detail: `the engine ${engine.allowed ? 'allows' : 'denies'}, Calico ${calicoAllows ? 'allowed' : 'denied'}` }
  if (calico.kind === 'Profile') return engine.decidedBy === 'profile' ? { same: true, detail: 'both: the namespace profile' } : { same: false, detail: `Calico: ${calico.text}; engine: ${engine.policy ?? engine.decidedBy}` }
  if (calico.kind === 'EndOfTier') {
    const same = engine.decidedBy === 'end-of-tier' && engine.tier === calico.tier
    return { same, detail: same ? `both: end of tier ${calico.tier}` : `Calico: ${calico.text}; engine: ${engine.policy ?? engine.decidedBy}` }
  }
  const id = engineId(calico)
  const ruleIndex = /\[(\d+)\]$/.exec(engine.rule ?? '')?.[1]
  const same = engine.decidedBy === 'rule' && engine.policy === id && engine.tier === calico.tier && ruleIndex !== undefined && Number(ruleIndex) === calico.ruleIndex
  return { same, detail: same ? `both: ${calico.text}` : `Calico: ${calico.text}; engine: ${engine.tier ? `tier ${engine.tier} › ` : ''}${engine.policy ?? engine.decidedBy}${engine.rule ? ` ${engine.rule}` : ''}` }
}
