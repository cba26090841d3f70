// Flow records as whisker-backend v3.31.7 writes them, built by hand from the Go types (not from the reader's zod
// schema, so a test of the reader against these can fail): projectcalico/calico v3.31.7
//   whisker-backend/pkg/apis/v1/flows.go:238-272   FlowResponse / PolicyTrace / PolicyHit (JSON field names)
//   whisker-backend/pkg/handlers/v1/protoconvert.go:105-200  nil traces → null, labels joined " | ", pub/pvt names
//   goldmane/proto/api.proto:171-176, 237-256, 308-313        enum names (Action, PolicyKind, Reporter)
//   goldmane/proto/methods.go:139-299                          how Felix's hit strings become hits (EndOfTier trigger)
//   felix/collector/types/endpoint/endpoint.go:68-133          generateName + "*", "-" namespace for networks
//   felix/collector/utils/utils.go:124-140                     lower-case protocol names
// Test data only.

export type GoAction = 'Allow' | 'Deny' | 'Pass'
export type GoPolicyKind =
  | 'CalicoNetworkPolicy'
  | 'GlobalNetworkPolicy'
  | 'StagedNetworkPolicy'
  | 'StagedGlobalNetworkPolicy'
  | 'StagedKubernetesNetworkPolicy'
  | 'NetworkPolicy'
  | 'Profile'
  | 'EndOfTier'

export interface GoPolicyHit {
  kind: GoPolicyKind
  name: string
  namespace: string
  tier: string
  /** a trigger carries no action: the proto zero value (methods.go:279-284) */
  action: GoAction | 'ActionUnspecified'
  policy_index: number
  rule_index: number
  trigger: GoPolicyHit | null
}

export interface GoFlowResponse {
  start_time: string
  end_time: string
  action: GoAction
  source_name: string
  source_namespace: string
  source_labels: string
  dest_name: string
  dest_namespace: string
  dest_labels: string
  protocol: string
  dest_port: number
  reporter: 'Src' | 'Dst'
  policies: { enforced: GoPolicyHit[] | null; pending: GoPolicyHit[] | null }
  packets_in: number
  packets_out: number
  bytes_in: number
  bytes_out: number
}

/** Go's time.Time JSON for time.Unix(sec, 0) in UTC (RFC 3339, no fraction for whole seconds). */
export const goTime = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z')

/** Goldmane's 15 s buckets: the start of the bucket holding t. */
export const bucketStart = (unixSeconds: number, width = 15): number => Math.floor(unixSeconds / width) * width

export function hit(kind: GoPolicyKind, name: string, opts: { namespace?: string; tier?: string; action: GoAction; index?: number; rule?: number }): GoPolicyHit {
  return {
    kind,
    name,
    namespace: opts.namespace ?? '',
    tier: kind === 'Profile' ? '' : (opts.tier ?? 'default'),
    action: opts.action,
    policy_index: opts.index ?? 0,
    rule_index: opts.rule ?? 0,
    trigger: null,
  }
}

/** An end-of-tier hit: rule index -1, the triggering policy named in `trigger` (methods.go:269-285). */
export function endOfTier(trigger: { kind: GoPolicyKind; name: string; namespace?: string }, opts: { tier?: string; action?: GoAction; index?: number } = {}): GoPolicyHit {
  const tier = opts.tier ?? 'default'
  return {
    kind: 'EndOfTier',
    name: '',
    namespace: '',
    tier,
    action: opts.action ?? 'Deny',
    policy_index: opts.index ?? 0,
    rule_index: -1,
    trigger: { kind: trigger.kind, name: trigger.name, namespace: trigger.namespace ?? '', tier, action: 'ActionUnspecified', policy_index: 0, rule_index: 0, trigger: null },
  }
}

export interface RecordInput {
  /** unix seconds of the probe; the record gets the bucket around it */
  at: number
  /** Goldmane's bucket width (its AGGREGATION_WINDOW): 15 s unless a test shortens it */
  bucketSeconds?: number
  action: GoAction
  reporter: 'Src' | 'Dst'
  source: { name: string; namespace: string; labels?: Record<string, string> }
  dest: { name: string; namespace: string; labels?: Record<string, string>; port: number }
  protocol?: string
  enforced?: GoPolicyHit[]
  pending?: GoPolicyHit[]
}

const labelText = (labels: Record<string, string> = {}): string => Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(' | ')

export function flowResponse(r: RecordInput): GoFlowResponse {
  const width = r.bucketSeconds ?? 15
  const start = bucketStart(r.at, width)
  return {
    start_time: goTime(start),
    end_time: goTime(start + width),
    action: r.action,
    source_name: r.source.name,
    source_namespace: r.source.namespace,
    source_labels: labelText(r.source.labels),
    dest_name: r.dest.name,
    dest_namespace: r.dest.namespace,
    dest_labels: labelText(r.dest.labels),
    protocol: r.protocol ?? 'tcp',
    dest_port: r.dest.port,
    reporter: r.reporter,
    policies: { enforced: r.enforced && r.enforced.length > 0 ? r.enforced : null, pending: r.pending && r.pending.length > 0 ? r.pending : null },
    packets_in: 5,
    packets_out: 6,
    bytes_in: 620,
    bytes_out: 480,
  }
}
