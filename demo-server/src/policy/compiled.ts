// The engine's internal form of every policy kind, after validation: what Felix would program, with enough
// naming kept to explain a verdict. Kubernetes NetworkPolicies compile to this too (as Calico does,
// into the default tier at order 1000), so one evaluator handles every kind.
import type { ClusterModel, NetworkSet, Pod, Protocol } from './model.ts'

export type Direction = 'ingress' | 'egress'
export type RuleAction = 'Allow' | 'Deny' | 'Log' | 'Pass'

/** One side of a connection: a pod, or an address outside the cluster. */
export interface Peer {
  readonly ip: number
  readonly ipText: string
  readonly pod: Pod | undefined
}

export interface Packet {
  readonly src: Peer
  readonly dst: Peer
  readonly protocol: Protocol
  readonly port: number
}

export interface CompiledRule {
  /** Where the rule sits in its policy, e.g. "ingress[0]". */
  readonly label: string
  readonly action: RuleAction
  /** undefined when the rule does not match; otherwise a (possibly empty) detail of what matched. */
  readonly match: (packet: Packet) => string | undefined
}

export type PolicyKind =
  | 'KubernetesNetworkPolicy'
  | 'NetworkPolicy'
  | 'GlobalNetworkPolicy'
  | 'StagedNetworkPolicy'
  | 'StagedGlobalNetworkPolicy'
  | 'StagedKubernetesNetworkPolicy'

export interface CompiledPolicy {
  readonly kind: PolicyKind
  readonly name: string
  readonly namespace: string | undefined
  /**
   * Calico's name for the policy, used to break order ties and in reasons: "ns/name" for a Calico
   * NetworkPolicy, "ns/knp.default.name" for a Kubernetes one, "name" for a GlobalNetworkPolicy.
   */
  readonly id: string
  readonly tier: string
  /** undefined sorts after every number (Calico: "no value" is the lowest precedence). */
  readonly order: number | undefined
  readonly types: ReadonlySet<Direction>
  readonly selects: (pod: Pod) => boolean
  readonly ingress: readonly CompiledRule[]
  readonly egress: readonly CompiledRule[]
  /** A staged policy (staged.ts): never enforced, evaluated only for the pending verdict. */
  readonly staged?: boolean
}

export interface TierInfo {
  readonly name: string
  readonly order: number | undefined
  readonly defaultAction: 'Deny' | 'Pass'
}

export interface PolicySet {
  /** Tiers sorted by order (none last), ties by name. */
  readonly tiers: readonly TierInfo[]
  /** Per tier, policies sorted by order (none last), ties by id. */
  readonly policiesByTier: ReadonlyMap<string, readonly CompiledPolicy[]>
  readonly policies: readonly CompiledPolicy[]
  readonly networkSets: readonly NetworkSet[]
  /**
   * Present when there are staged policies (stagedAction Set): what Felix evaluates for flow logs' pending trace,
   * the enforced policies and the staged ones together, sorted the same way (staged.ts).
   */
  readonly pending?: PolicySet
  /** Staged policies with stagedAction Delete: Felix never receives them ("ns/name" or "name"). */
  readonly stagedDeletes?: readonly string[]
}

/** What a policy compiler needs besides the resource itself. */
export interface CompileContext {
  readonly model: ClusterModel
  readonly networkSets: readonly NetworkSet[]
  readonly knownTiers: ReadonlySet<string>
}

export function compareOrder(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0
  if (a === undefined) return 1
  if (b === undefined) return -1
  return a - b
}

/** Byte-wise string order, as Go compares strings. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
