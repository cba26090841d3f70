// The lab's least privilege, declared once for every test that checks it — the flows the policy steps intend — and the
// one independent oracle the tests keep.
//
// The oracle: a deliberately simplified evaluator of Calico semantics that holds for these manifests (one tier, Allow
// and Deny rules, checked by the cluster-kit tests): the policies selecting an endpoint for a direction are tried in
// Calico's order (`order`, then name) and the first rule that matches decides; selected but unmatched is the tier's
// default deny; endpoints no policy selects are open (their namespace's profile). It shares the engine's selector
// parser and CIDR math (one implementation of each), but not its evaluation: it is the one independent check that the
// policy engine (and the matrix built on it) agrees with what the YAML says. It also names what decided (`decision`):
// the fake lab writes Calico's flow records from it (test/fakeLab/flowLogs.ts).
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { MATRIX_SOURCES, MATRIX_TARGETS } from '../../demo-server/src/catalog/matrices.ts'
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

/** The intended flows between pods, "dev1/a → dev1/b", with `arrow` between them. */
export const intendedPodFlows = (arrow = ' → '): string[] => INTENDED_9080.map(([a, b]) => `${LAB.namespace}/${a}${arrow}${LAB.namespace}/${b}`)

/**
 * The same flows as matrix cells "row→column": a row leaves from the pod its selector picks, a column is the Service
 * whose selector matches the target's pods. DNS is intended for every pod row; the other outside range reaches nothing.
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

// ---- the oracle ----------------------------------------------------------------------------------------------

export interface Endpoint {
  id: string
  ip: string
  namespace?: string
  labels: Record<string, string>
}

interface EntityRule {
  nets?: string[]
  selector?: string
  namespaceSelector?: string
  ports?: Array<number | string>
}
interface Rule {
  action: string
  protocol?: string
  source?: EntityRule
  destination?: EntityRule
}
export interface Policy {
  metadata: { name: string; namespace: string }
  spec: { selector?: string; types?: string[]; ingress?: Rule[]; egress?: Rule[]; order?: number; tier?: string; stagedAction?: string }
  /** a StagedNetworkPolicy, evaluated only with `{ staged: true }` (what flow logs call the pending trace) */
  staged?: boolean
}

/**
 * What decided one direction of a connection for an endpoint, as Calico's policy trace names it: the first matching
 * rule of the policies selecting it; the tier's end (selected, nothing matched: denied); or no policy at all (the
 * namespace's profile allows).
 */
export type Decision =
  | { allowed: boolean; by: 'rule'; policy: Policy; rule: number }
  | { allowed: false; by: 'end-of-tier'; selecting: Policy[] }
  | { allowed: true; by: 'profile' }

/** Felix's name for a policy when two share an order (libcalico-go: staged ones carry "staged:"). */
const sortName = (p: Policy) => `${p.metadata.namespace}/${p.staged ? 'staged:' : ''}${p.metadata.name}`
/** Calico's order within a tier: `order` ascending, no order last, then by name (felix/calc/policy_sorter.go). */
const calicoOrder = (a: Policy, b: Policy): number => {
  const oa = a.spec.order ?? Number.POSITIVE_INFINITY
  const ob = b.spec.order ?? Number.POSITIVE_INFINITY
  return oa === ob ? sortName(a).localeCompare(sortName(b)) : oa - ob
}

const NS_LABELS = (ns: string) => ({ 'projectcalico.org/name': ns, 'kubernetes.io/metadata.name': ns })
const selects = (selector: string, labels: Record<string, string>) => evaluateSelector(parseSelector(selector), labels)

export class LeastPrivilegeOracle {
  readonly policies: Policy[]
  readonly endpoints: Endpoint[]

  /** `staged`: StagedNetworkPolicies (stagedAction Set) count as policies too — the trace flow logs call pending. */
  constructor(docs: Doc[] = allDocs(), options: { staged?: boolean } = {}) {
    const enforced = docs.filter((d) => gvk(d.obj) === 'projectcalico.org/v3/NetworkPolicy').map((d) => d.obj as Policy)
    const staged = options.staged
      ? docs.filter((d) => gvk(d.obj) === 'projectcalico.org/v3/StagedNetworkPolicy' && (d.obj as Policy).spec.stagedAction !== 'Delete').map((d) => ({ ...(d.obj as Policy), staged: true }))
      : []
    this.policies = [...enforced, ...staged]
    const tiered = this.policies.find((p) => (p.spec.tier ?? 'default') !== 'default')
    if (tiered) throw new Error(`the oracle evaluates the default tier only; ${tiered.metadata.name} is in tier ${tiered.spec.tier}`)
    this.endpoints = podModels(docs).map((p, i) => ({ id: `${p.namespace}/${p.name}`, ip: `198.19.16.${i + 1}`, namespace: p.namespace, labels: p.labels }))
    this.endpoints.push({ id: 'kube-system/coredns', ip: '198.19.16.100', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } })
    this.endpoints.push({ id: 'host1', ip: LAB.host1Ip, labels: {} }, { id: 'other-range', ip: LAB.otherIp, labels: {} })
  }

  endpoint(id: string): Endpoint {
    const e = this.endpoints.find((x) => x.id === id)
    if (!e) throw new Error(`no endpoint ${id}`)
    return e
  }

  private entityMatches(policy: Policy, e: EntityRule | undefined, peer: Endpoint): boolean {
    if (!e) return true
    if (e.nets && !e.nets.some((n) => cidrContains(parseCidr(n)!, parseIPv4(peer.ip)!))) return false
    if (e.selector || e.namespaceSelector) {
      if (!peer.namespace) return false
      const nsOk = e.namespaceSelector ? selects(e.namespaceSelector, NS_LABELS(peer.namespace)) : peer.namespace === policy.metadata.namespace
      if (!nsOk) return false
      if (e.selector && !selects(e.selector, peer.labels)) return false
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
    const selecting = this.policies
      .filter((p) => ep.namespace === p.metadata.namespace && selects(p.spec.selector ?? 'all()', ep.labels) && (p.spec.types ?? []).includes(dir))
      .sort(calicoOrder)
    if (selecting.length === 0) return { allowed: true, by: 'profile' }
    for (const policy of selecting) {
      const rule = this.firstMatch(policy, dir, peer, port, protocol)
      if (rule < 0) continue
      const action = (dir === 'Ingress' ? policy.spec.ingress : policy.spec.egress)![rule]!.action
      if (action !== 'Allow' && action !== 'Deny') throw new Error(`the oracle knows Allow and Deny rules; ${policy.metadata.name} has ${action}`)
      return { allowed: action === 'Allow', by: 'rule', policy, rule }
    }
    return { allowed: false, by: 'end-of-tier', selecting }
  }

  /** Whether `ep`'s own policies allow `peer` in `dir` on port/protocol. */
  allowedBy(ep: Endpoint, dir: 'Ingress' | 'Egress', peer: Endpoint, port: number, protocol: string): boolean {
    return this.decision(ep, dir, peer, port, protocol).allowed
  }

  allowed(src: Endpoint, dst: Endpoint, port: number, protocol = 'TCP'): boolean {
    return this.allowedBy(src, 'Egress', dst, port, protocol) && this.allowedBy(dst, 'Ingress', src, port, protocol)
  }
}
