// The lab's least privilege, declared once for every test that checks it — the flows the policy steps intend, which
// step opens which — and the one independent oracle the tests keep.
//
// The oracle: a deliberately simplified evaluator of Calico semantics that holds for these manifests (checked by the
// cluster-kit tests): tiers in `order`; in a tier, the policies selecting an endpoint for a direction are tried in
// Calico's order (`order`, then name) and the first rule that matches decides — Allow, Deny, or Pass to the next tier;
// a tier that selects the endpoint but matches nothing applies its defaultAction (Deny, or Pass); a tier that selects
// nothing is skipped; past the last tier, the namespace's profile allows. It shares the engine's selector parser and
// CIDR math (one implementation of each), but not its evaluation: it is the one independent check that the policy
// engine (and the matrix built on it) agrees with what the YAML says. It also names what decided (`decision`): the
// fake lab writes Calico's flow records from it (test/fakeLab/flowLogs.ts).
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { MATRIX_SOURCES, MATRIX_TARGETS } from '../../demo-server/src/catalog/matrices.ts'
import type { PolicyStepId } from '../../demo-server/src/catalog/policySteps.ts'
import { evaluateSelector, parseSelector } from '../../demo-server/src/policy/index.ts'
import { cidrContains, parseCidr, parseIPv4 } from '../../demo-server/src/policy/model.ts'
import { matchesLabelSelectorText } from '../../demo-server/src/policy/labelSelector.ts'
import { allDocs, gvk, podModels } from '../cluster-kit/lib/manifests.ts'
import type { Doc } from '../cluster-kit/lib/manifests.ts'

/** Flows the policies allow on 9080/TCP between the bookinfo workloads of dev1; nothing else touching them is. */
export const INTENDED_9080: ReadonlyArray<readonly [from: string, to: string]> = [
  ['productpage-v1', 'details-v1'],
  ['productpage-v1', 'reviews-v1'],
  ['productpage-v1', 'reviews-v2'],
  ['productpage-v1', 'reviews-v3'],
  ['reviews-v2', 'ratings-v1'],
  ['reviews-v3', 'ratings-v1'],
]
/** Workloads the allowed outside range reaches (through the LoadBalancer, on the pod's 9080). */
export const INTENDED_FROM_OUTSIDE = ['productpage-v1'] as const
/** The dev1 workloads that resolve names: those that call someone. The others get no egress at all. */
export const INTENDED_DNS = ['productpage-v1', 'reviews-v2', 'reviews-v3'] as const

/**
 * The matrix cells ("row→column") each policy step opens. The first two are the platform's deny steps (staged, then
 * enforced): they open nothing. Every later step opens exactly its flow, both ends at once.
 */
export const STEP_OPENS: Readonly<Record<PolicyStepId, readonly string[]>> = {
  'default-deny-staged': [],
  'default-deny': [],
  details: ['productpage→details'],
  reviews: ['productpage→reviews'],
  ratings: ['reviews-v2→ratings', 'reviews-v3→ratings'],
  'outside-range': ['host1→productpage'],
}

/** The intended flows between pods, "dev1/a → dev1/b", with `arrow` between them. */
export const intendedPodFlows = (arrow = ' → '): string[] => INTENDED_9080.map(([a, b]) => `${LAB.namespace}/${a}${arrow}${LAB.namespace}/${b}`)

/**
 * The same flows as matrix cells "row→column": a row leaves from the pod its selector picks, a column is the Service
 * whose selector matches the target's pods. The other outside range reaches nothing. DNS: see intendedDnsRows.
 */
export function intendedMatrixCells(): string[] {
  const labels = new Map(podModels().map((p) => [p.name, p.labels]))
  const row = (workload: string) => MATRIX_SOURCES.find((s) => s.pod && matchesLabelSelectorText(s.pod.selector, labels.get(workload) ?? {}))?.id
  const col = (workload: string) => MATRIX_TARGETS.find((t) => t.kind === 'http' && matchesLabelSelectorText(t.selector, labels.get(workload) ?? {}))?.id
  const host1 = MATRIX_SOURCES.find((s) => s.outside?.ip === LAB.host1Ip)?.id
  return [...new Set([
    ...INTENDED_9080.map(([a, b]) => `${row(a)}→${col(b)}`),
    ...INTENDED_FROM_OUTSIDE.map((w) => `${host1}→${col(w)}`),
  ])].sort()
}

/** The matrix rows that reach kube-dns at the end: dev1's callers, and every row outside dev1 (no policy selects it). */
export function intendedDnsRows(): string[] {
  const labels = new Map(podModels().map((p) => [p.name, p.labels]))
  const callers = INTENDED_DNS.map((w) => MATRIX_SOURCES.find((s) => s.pod && s.pod.namespace === LAB.namespace && matchesLabelSelectorText(s.pod.selector, labels.get(w) ?? {}))?.id)
  return [...callers, ...MATRIX_SOURCES.filter((s) => !s.pod || s.pod.namespace !== LAB.namespace).map((s) => s.id)].filter((id): id is string => id !== undefined).sort()
}

// ---- the oracle ----------------------------------------------------------------------------------------------

export interface Endpoint {
  id: string
  ip: string
  namespace?: string
  labels: Record<string, string>
  /** a pod's ServiceAccount; an outside address has none */
  serviceAccount?: string
}

interface EntityRule {
  nets?: string[]
  selector?: string
  namespaceSelector?: string
  serviceAccounts?: { names?: string[]; selector?: string }
  ports?: Array<number | string>
}
interface Rule {
  action: string
  protocol?: string
  source?: EntityRule
  destination?: EntityRule
}
export interface Policy {
  kind: 'NetworkPolicy' | 'GlobalNetworkPolicy'
  /** a GlobalNetworkPolicy has none */
  metadata: { name: string; namespace?: string }
  spec: {
    selector?: string; namespaceSelector?: string; serviceAccountSelector?: string; types?: string[]; ingress?: Rule[]; egress?: Rule[]
    order?: number; tier?: string; stagedAction?: string
  }
  /** a staged policy, evaluated only with `{ staged: true }` (what flow logs call the pending trace) */
  staged?: boolean
}
export interface Tier {
  name: string
  order: number
  defaultAction: 'Deny' | 'Pass'
}

/**
 * What decided one direction of a connection for an endpoint, as Calico's policy trace names it: the first matching
 * Allow or Deny rule of the policies selecting it; a tier's end (selected, nothing matched: its defaultAction Deny); or
 * no tier deciding (the namespace's profile allows).
 */
export type Decision =
  | { allowed: boolean; by: 'rule'; tier: string; policy: Policy; rule: number }
  | { allowed: false; by: 'end-of-tier'; tier: string; selecting: Policy[] }
  | { allowed: true; by: 'profile' }

/** The built-in tier every policy without `tier` is in (its order is fixed by Calico's validator). */
const DEFAULT_TIER: Tier = { name: 'default', order: 1_000_000, defaultAction: 'Deny' }

/** Felix's name for a policy when two share an order (libcalico-go: staged ones carry "staged:"). */
const sortName = (p: Policy) => `${p.metadata.namespace ?? ''}/${p.staged ? 'staged:' : ''}${p.metadata.name}`
/** Calico's order within a tier: `order` ascending, no order last, then by name (felix/calc/policy_sorter.go). */
const calicoOrder = (a: Policy, b: Policy): number => {
  const oa = a.spec.order ?? Number.POSITIVE_INFINITY
  const ob = b.spec.order ?? Number.POSITIVE_INFINITY
  return oa === ob ? sortName(a).localeCompare(sortName(b)) : oa - ob
}

const NS_LABELS = (ns: string) => ({ 'projectcalico.org/name': ns, 'kubernetes.io/metadata.name': ns })
const selects = (selector: string, labels: Record<string, string>) => evaluateSelector(parseSelector(selector), labels)

const POLICY_KINDS: Record<string, { kind: Policy['kind']; staged: boolean }> = {
  'projectcalico.org/v3/NetworkPolicy': { kind: 'NetworkPolicy', staged: false },
  'projectcalico.org/v3/GlobalNetworkPolicy': { kind: 'GlobalNetworkPolicy', staged: false },
  'projectcalico.org/v3/StagedNetworkPolicy': { kind: 'NetworkPolicy', staged: true },
  'projectcalico.org/v3/StagedGlobalNetworkPolicy': { kind: 'GlobalNetworkPolicy', staged: true },
}

export class LeastPrivilegeOracle {
  readonly policies: Policy[]
  readonly tiers: Tier[]
  readonly endpoints: Endpoint[]

  /** `staged`: staged policies (stagedAction Set) count as policies too — the trace flow logs call pending. */
  constructor(docs: Doc[] = allDocs(), options: { staged?: boolean } = {}) {
    this.policies = docs.flatMap((d) => {
      const known = POLICY_KINDS[gvk(d.obj)]
      if (!known || (known.staged && (!options.staged || d.obj.spec?.stagedAction === 'Delete'))) return []
      return [{ ...(d.obj as Policy), kind: known.kind, ...(known.staged ? { staged: true } : {}) }]
    })
    const declared = docs.filter((d) => gvk(d.obj) === 'projectcalico.org/v3/Tier')
      .map((d) => ({ name: d.obj.metadata.name as string, order: d.obj.spec?.order as number, defaultAction: (d.obj.spec?.defaultAction ?? 'Deny') as Tier['defaultAction'] }))
    this.tiers = [DEFAULT_TIER, ...declared.filter((t) => t.name !== DEFAULT_TIER.name)].sort((a, b) => a.order - b.order)
    for (const p of this.policies) {
      if (!this.tiers.some((t) => t.name === (p.spec.tier ?? 'default'))) throw new Error(`${p.metadata.name}: tier ${p.spec.tier} is not declared`)
    }
    this.endpoints = podModels(docs).map((p, i) => ({
      id: `${p.namespace}/${p.name}`, ip: `198.19.16.${i + 1}`, namespace: p.namespace, labels: p.labels, serviceAccount: p.serviceAccount,
    }))
    this.endpoints.push({ id: 'kube-system/coredns', ip: '198.19.16.100', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, serviceAccount: 'coredns' })
    this.endpoints.push({ id: 'host1', ip: LAB.host1Ip, labels: {} }, { id: 'other-range', ip: LAB.otherIp, labels: {} })
  }

  endpoint(id: string): Endpoint {
    const e = this.endpoints.find((x) => x.id === id)
    if (!e) throw new Error(`no endpoint ${id}`)
    return e
  }

  /** A ServiceAccount's labels as Calico sees them: its name under projectcalico.org/name (the lab sets no others). */
  private static accountLabels = (ep: Endpoint) => ({ 'projectcalico.org/name': ep.serviceAccount ?? '' })

  /** Whether a policy selects an endpoint at all (its namespace, selector, namespaceSelector, serviceAccountSelector). */
  private selectsEndpoint(p: Policy, ep: Endpoint): boolean {
    if (!ep.namespace) return false
    if (p.kind === 'NetworkPolicy' ? ep.namespace !== (p.metadata.namespace ?? 'default') : p.spec.namespaceSelector && !selects(p.spec.namespaceSelector, NS_LABELS(ep.namespace))) return false
    if (p.spec.serviceAccountSelector && !selects(p.spec.serviceAccountSelector, LeastPrivilegeOracle.accountLabels(ep))) return false
    return selects(p.spec.selector ?? 'all()', ep.labels)
  }

  private entityMatches(policy: Policy, e: EntityRule | undefined, peer: Endpoint): boolean {
    if (!e) return true
    if (e.nets && !e.nets.some((n) => cidrContains(parseCidr(n)!, parseIPv4(peer.ip)!))) return false
    if (e.selector || e.namespaceSelector || e.serviceAccounts) {
      if (!peer.namespace) return false
      // no namespaceSelector: the policy's own namespace, or every namespace for a GlobalNetworkPolicy
      const nsOk = e.namespaceSelector ? selects(e.namespaceSelector, NS_LABELS(peer.namespace)) : policy.kind === 'GlobalNetworkPolicy' || peer.namespace === policy.metadata.namespace
      if (!nsOk) return false
      if (e.selector && !selects(e.selector, peer.labels)) return false
      const sa = e.serviceAccounts
      if (sa?.names && !sa.names.includes(peer.serviceAccount ?? '')) return false
      if (sa?.selector && !selects(sa.selector, LeastPrivilegeOracle.accountLabels(peer))) return false
    }
    return true
  }

  /** The rule of `p` for this direction that matches `peer` on port/protocol first, if any (its index). */
  private firstMatch(p: Policy, dir: 'Ingress' | 'Egress', peer: Endpoint, port: number, protocol: string): number {
    return ((dir === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []).findIndex((r) => {
      if (r.protocol && r.protocol !== protocol) return false
      const ports = r.destination?.ports
      if (ports && !ports.includes(port)) return false
      return this.entityMatches(p, dir === 'Ingress' ? r.source : r.destination, peer)
    })
  }

  /** What decides `ep`'s direction towards (egress) or from (ingress) `peer` on port/protocol. */
  decision(ep: Endpoint, dir: 'Ingress' | 'Egress', peer: Endpoint, port: number, protocol: string): Decision {
    for (const tier of this.tiers) {
      const selecting = this.policies
        .filter((p) => (p.spec.tier ?? 'default') === tier.name && this.selectsEndpoint(p, ep) && (p.spec.types ?? []).includes(dir))
        .sort(calicoOrder)
      if (selecting.length === 0) continue
      let passed = false
      for (const policy of selecting) {
        const rule = this.firstMatch(policy, dir, peer, port, protocol)
        if (rule < 0) continue
        const action = (dir === 'Ingress' ? policy.spec.ingress : policy.spec.egress)![rule]!.action
        if (action === 'Pass') {
          passed = true
          break
        }
        if (action !== 'Allow' && action !== 'Deny') throw new Error(`the oracle knows Allow, Deny and Pass rules; ${policy.metadata.name} has ${action}`)
        return { allowed: action === 'Allow', by: 'rule', tier: tier.name, policy, rule }
      }
      if (passed || tier.defaultAction === 'Pass') continue
      return { allowed: false, by: 'end-of-tier', tier: tier.name, selecting }
    }
    return { allowed: true, by: 'profile' }
  }

  /** Whether `ep`'s own policies allow `peer` in `dir` on port/protocol. */
  allowedBy(ep: Endpoint, dir: 'Ingress' | 'Egress', peer: Endpoint, port: number, protocol: string): boolean {
    return this.decision(ep, dir, peer, port, protocol).allowed
  }

  allowed(src: Endpoint, dst: Endpoint, port: number, protocol = 'TCP'): boolean {
    return this.allowedBy(src, 'Egress', dst, port, protocol) && this.allowedBy(dst, 'Ingress', src, port, protocol)
  }
}
