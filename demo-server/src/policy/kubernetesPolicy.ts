// networking.k8s.io/v1 NetworkPolicy: validation and semantics.
// https://kubernetes.io/docs/concepts/services-networking/network-policies/
// https://kubernetes.io/docs/reference/kubernetes-api/networking/network-policy-v1/
//
// - A pod is isolated for a direction when some policy selecting it has that direction in policyTypes;
//   policyTypes defaults to ["Ingress"] plus "Egress" when the policy has egress rules.
// - Policies are additive: isolated traffic is allowed when any rule of any selecting policy allows it.
// - One peer: podSelector (pods of the policy's namespace), namespaceSelector (all pods of matching
//   namespaces), both (AND: matching pods in matching namespaces), or ipBlock (cidr minus except).
//   Peers of one rule are ORed; an empty or missing from/to matches every source/destination.
// - ports: protocol defaults to TCP; a missing port means every port of that protocol; endPort makes a range
//   (numeric port only); a named port is looked up in the destination pod's container ports with the same
//   protocol. An empty or missing ports list matches every port and protocol.
//
// Calico runs these as policies in the "default" tier at order 1000 named knp.default.<name>, with Allow
// rules only, so "not allowed by any" becomes the tier's end-of-tier deny (libcalico-go k8s/conversion).
// An ipBlock is matched against the peer address whether or not it is a pod IP, as Calico does.
import { z } from 'zod'
import type { CompileContext, CompiledPolicy, CompiledRule, Direction, Packet, Peer } from './compiled.ts'
import { labelSelectorSchema, matchesLabelSelector, type LabelSelector } from './labelSelector.ts'
import { cidrContains, cidrWithin, parseCidr, type Cidr, type Pod } from './model.ts'
import { zodIssues } from './validation.ts'

export const KUBERNETES_POLICY_ORDER = 1000
export const KUBERNETES_POLICY_PREFIX = 'knp.default.'

// IANA service name: ≤15 chars, lower-case letters, digits and '-', at least one letter, no '--', no edge '-'.
const IANA_SVC_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/

const portSchema = z
  .strictObject({
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
    port: z.union([z.number().int().min(1).max(65535), z.string()]).optional(),
    endPort: z.number().int().min(1).max(65535).optional(),
  })
  .superRefine((p, ctx) => {
    if (typeof p.port === 'string' && !IANA_SVC_NAME.test(p.port)) {
      ctx.addIssue({ code: 'custom', path: ['port'], message: `"${p.port}" is neither a port number nor a valid port name (IANA_SVC_NAME)` })
    }
    if (p.endPort !== undefined) {
      if (typeof p.port !== 'number') {
        ctx.addIssue({ code: 'custom', path: ['endPort'], message: 'endPort needs a numeric port' })
      } else if (p.endPort < p.port) {
        ctx.addIssue({ code: 'custom', path: ['endPort'], message: `endPort ${p.endPort} is below port ${p.port}` })
      }
    }
  })

const peerSchema = z
  .strictObject({
    podSelector: labelSelectorSchema.nullish(),
    namespaceSelector: labelSelectorSchema.nullish(),
    ipBlock: z.strictObject({ cidr: z.string(), except: z.array(z.string()).nullish() }).nullish(),
  })
  .superRefine((peer, ctx) => {
    const selectors = peer.podSelector != null || peer.namespaceSelector != null
    if (peer.ipBlock != null && selectors) {
      ctx.addIssue({ code: 'custom', message: 'a peer with ipBlock cannot also have podSelector or namespaceSelector' })
    }
    if (peer.ipBlock == null && !selectors) {
      ctx.addIssue({ code: 'custom', message: 'a peer needs podSelector, namespaceSelector or ipBlock' })
    }
    if (peer.ipBlock != null) {
      const cidr = parseCidr(peer.ipBlock.cidr)
      if (!cidr) {
        ctx.addIssue({ code: 'custom', path: ['ipBlock', 'cidr'], message: `"${peer.ipBlock.cidr}" is not a CIDR` })
        return
      }
      peer.ipBlock.except?.forEach((e, i) => {
        const ex = parseCidr(e)
        if (!ex) ctx.addIssue({ code: 'custom', path: ['ipBlock', 'except', i], message: `"${e}" is not a CIDR` })
        else if (!cidrWithin(ex, cidr) || ex.prefix === cidr.prefix) {
          ctx.addIssue({ code: 'custom', path: ['ipBlock', 'except', i], message: `"${e}" must be strictly inside ${peer.ipBlock?.cidr}` })
        }
      })
    }
  })

const ingressRuleSchema = z.strictObject({ from: z.array(peerSchema).nullish(), ports: z.array(portSchema).nullish() })
const egressRuleSchema = z.strictObject({ to: z.array(peerSchema).nullish(), ports: z.array(portSchema).nullish() })

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export const kubernetesNetworkPolicySchema = z.object({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('NetworkPolicy'),
  metadata: z.looseObject({
    name: z.string().regex(NAME, 'must be a lower-case DNS subdomain name'),
    namespace: z.string().optional(),
  }),
  spec: z.strictObject({
    podSelector: labelSelectorSchema.nullish(),
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).nullish(),
    ingress: z.array(ingressRuleSchema).nullish(),
    egress: z.array(egressRuleSchema).nullish(),
  }),
})

export type KubernetesNetworkPolicy = z.infer<typeof kubernetesNetworkPolicySchema>
type PeerSpec = z.infer<typeof peerSchema>
type PortSpec = z.infer<typeof portSchema>

interface CompiledPeer {
  readonly ipBlock: { readonly cidr: Cidr; readonly except: readonly Cidr[] } | undefined
  readonly podSelector: LabelSelector | undefined
  readonly namespaceSelector: LabelSelector | undefined
}

function compilePeer(p: PeerSpec): CompiledPeer {
  return {
    ipBlock: p.ipBlock
      ? { cidr: parseCidr(p.ipBlock.cidr) as Cidr, except: (p.ipBlock.except ?? []).map((e) => parseCidr(e) as Cidr) }
      : undefined,
    podSelector: p.podSelector ?? undefined,
    namespaceSelector: p.namespaceSelector ?? undefined,
  }
}

function peerMatches(peer: CompiledPeer, other: Peer, policyNamespace: string, ctx: CompileContext): boolean {
  if (peer.ipBlock) {
    return cidrContains(peer.ipBlock.cidr, other.ip) && !peer.ipBlock.except.some((e) => cidrContains(e, other.ip))
  }
  const pod = other.pod
  if (!pod) return false // selectors only ever select pods
  if (peer.namespaceSelector) {
    const ns = ctx.model.namespaces.get(pod.namespace)
    if (!ns || !matchesLabelSelector(peer.namespaceSelector, ns.labels)) return false
  } else if (pod.namespace !== policyNamespace) {
    return false // a podSelector alone means pods of the policy's own namespace
  }
  return peer.podSelector === undefined || matchesLabelSelector(peer.podSelector, pod.labels)
}

function portMatches(p: PortSpec, packet: Packet, destinationPod: Pod | undefined): boolean {
  const protocol = p.protocol ?? 'TCP'
  if (protocol !== packet.protocol) return false
  if (p.port === undefined) return true
  if (typeof p.port === 'number') {
    return p.endPort === undefined ? packet.port === p.port : packet.port >= p.port && packet.port <= p.endPort
  }
  const name = p.port
  return destinationPod?.ports.some((c) => c.name === name && c.protocol === protocol && c.containerPort === packet.port) ?? false
}

function compileRule(
  direction: Direction,
  index: number,
  peers: readonly PeerSpec[] | null | undefined,
  ports: readonly PortSpec[] | null | undefined,
  policyNamespace: string,
  ctx: CompileContext,
): CompiledRule {
  const peersKey = direction === 'ingress' ? 'from' : 'to'
  const compiledPeers = (peers ?? []).map(compilePeer)
  const portList = ports ?? []
  return {
    label: `${direction}[${index}]`,
    action: 'Allow',
    match(packet) {
      const other = direction === 'ingress' ? packet.src : packet.dst
      let peerDetail: string
      if (compiledPeers.length === 0) {
        peerDetail = `no ${peersKey}: any ${direction === 'ingress' ? 'source' : 'destination'}`
      } else {
        const j = compiledPeers.findIndex((p) => peerMatches(p, other, policyNamespace, ctx))
        if (j === -1) return undefined
        peerDetail = `${peersKey}[${j}]`
      }
      let portDetail: string
      if (portList.length === 0) {
        portDetail = 'no ports: any port'
      } else {
        const k = portList.findIndex((p) => portMatches(p, packet, packet.dst.pod))
        if (k === -1) return undefined
        portDetail = `ports[${k}]`
      }
      return `(${peerDetail}, ${portDetail})`
    },
  }
}

export function parseKubernetesNetworkPolicy(resource: unknown, where: string, issues: string[]): KubernetesNetworkPolicy | undefined {
  const parsed = kubernetesNetworkPolicySchema.safeParse(resource)
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error, where))
    return undefined
  }
  return parsed.data
}

export function compileKubernetesNetworkPolicy(np: KubernetesNetworkPolicy, ctx: CompileContext): CompiledPolicy {
  const namespace = np.metadata.namespace ?? 'default'
  const spec = np.spec
  const types = new Set<Direction>()
  if (spec.policyTypes && spec.policyTypes.length > 0) {
    for (const t of spec.policyTypes) types.add(t === 'Ingress' ? 'ingress' : 'egress')
  } else {
    types.add('ingress')
    if ((spec.egress ?? []).length > 0) types.add('egress')
  }
  const podSelector = spec.podSelector ?? {}
  return {
    kind: 'KubernetesNetworkPolicy',
    name: np.metadata.name,
    namespace,
    id: `${namespace}/${KUBERNETES_POLICY_PREFIX}${np.metadata.name}`,
    tier: 'default',
    order: KUBERNETES_POLICY_ORDER,
    types,
    selects: (pod) => pod.namespace === namespace && matchesLabelSelector(podSelector, pod.labels),
    ingress: (spec.ingress ?? []).map((r, i) => compileRule('ingress', i, r.from, r.ports, namespace, ctx)),
    egress: (spec.egress ?? []).map((r, i) => compileRule('egress', i, r.to, r.ports, namespace, ctx)),
  }
}
