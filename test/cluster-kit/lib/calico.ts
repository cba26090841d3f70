// Strict zod schemas of the Calico (projectcalico.org/v3) and Tigera operator (operator.tigera.io/v1) fields this
// lab uses, plus Calico's selector language. Unknown fields are refused, as the API server refuses them
// (fields from api/pkg/apis/projectcalico/v3 and tigera/operator api/v1; docs.tigera.io resource reference).
import { z } from 'zod'
import { parseCidr } from './manifests.ts'

// ---- selectors (docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors) -----------------------

export type Selector =
  | { op: 'all' }
  | { op: 'global' }
  | { op: 'has'; key: string }
  | { op: '==' | '!=' | 'contains' | 'starts with' | 'ends with'; key: string; value: string }
  | { op: 'in' | 'not in'; key: string; values: string[] }
  | { op: '!'; expr: Selector }
  | { op: '&&' | '||'; left: Selector; right: Selector }

const LABEL = /^[A-Za-z0-9_.\-/]+/
const STRING = /^(?:'([^']*)'|"([^"]*)")/

export function parseSelector(text: string): Selector {
  let rest = text
  const ws = () => {
    rest = rest.replace(/^\s+/, '')
  }
  const eat = (token: string): boolean => {
    ws()
    if (rest.startsWith(token)) {
      rest = rest.slice(token.length)
      return true
    }
    return false
  }
  const fail = (what: string): never => {
    throw new Error(`selector "${text}": ${what} at "${rest}"`)
  }
  const str = (): string => {
    ws()
    const m = STRING.exec(rest)
    if (!m) return fail('expected a quoted string')
    rest = rest.slice(m[0].length)
    return m[1] ?? m[2] ?? ''
  }
  const label = (): string => {
    ws()
    const m = LABEL.exec(rest)
    if (!m) return fail('expected a label key')
    rest = rest.slice(m[0].length)
    return m[0]
  }
  const set = (): string[] => {
    if (!eat('{')) fail('expected {')
    const values: string[] = []
    if (eat('}')) return values
    do values.push(str())
    while (eat(','))
    if (!eat('}')) fail('expected }')
    return values
  }
  const primary = (): Selector => {
    ws()
    if (eat('(')) {
      const e = or()
      if (!eat(')')) fail('expected )')
      return e
    }
    if (eat('!')) return { op: '!', expr: primary() }
    if (/^all\s*\(/.test(rest)) {
      rest = rest.replace(/^all\s*\(\s*\)/, '')
      return { op: 'all' }
    }
    if (/^global\s*\(/.test(rest)) {
      rest = rest.replace(/^global\s*\(\s*\)/, '')
      return { op: 'global' }
    }
    if (/^has\s*\(/.test(rest)) {
      rest = rest.replace(/^has\s*\(/, '')
      const key = label()
      if (!eat(')')) fail('expected )')
      return { op: 'has', key }
    }
    const key = label()
    for (const op of ['==', '!=', 'contains', 'starts with', 'ends with'] as const) {
      if (eat(op)) return { op, key, value: str() }
    }
    if (eat('not in')) return { op: 'not in', key, values: set() }
    if (eat('in')) return { op: 'in', key, values: set() }
    return fail(`expected an operator after "${key}"`)
  }
  const and = (): Selector => {
    let left = primary()
    while (eat('&&')) left = { op: '&&', left, right: primary() }
    return left
  }
  const or = (): Selector => {
    let left = and()
    while (eat('||')) left = { op: '||', left, right: and() }
    return left
  }
  const result = or()
  ws()
  if (rest !== '') fail('unexpected text')
  return result
}

export function matches(sel: Selector, labels: Record<string, string>): boolean {
  switch (sel.op) {
    case 'all':
      return true
    case 'global':
      return false
    case 'has':
      return sel.key in labels
    case '==':
      return labels[sel.key] === sel.value
    case '!=':
      return labels[sel.key] !== sel.value
    case 'contains':
      return labels[sel.key]?.includes(sel.value) ?? false
    case 'starts with':
      return labels[sel.key]?.startsWith(sel.value) ?? false
    case 'ends with':
      return labels[sel.key]?.endsWith(sel.value) ?? false
    case 'in':
      return sel.key in labels && sel.values.includes(labels[sel.key]!)
    case 'not in':
      return !(sel.key in labels) || !sel.values.includes(labels[sel.key]!)
    case '!':
      return !matches(sel.expr, labels)
    case '&&':
      return matches(sel.left, labels) && matches(sel.right, labels)
    case '||':
      return matches(sel.left, labels) || matches(sel.right, labels)
  }
}

// ---- shared field schemas --------------------------------------------------------------------------------------

const selector = z.string().refine((s) => {
  try {
    parseSelector(s)
    return true
  } catch {
    return false
  }
}, 'not a valid Calico selector')

const cidr = z.string().refine((s) => {
  try {
    parseCidr(s)
    return true
  } catch {
    return false
  }
}, 'not a valid IPv4 CIDR (without host bits)')

const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'not an IPv4 address')
const dnsName = z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'not a DNS-1123 name')

const clusterMeta = z.strictObject({
  name: dnsName,
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
})
const namespacedMeta = clusterMeta.extend({ namespace: dnsName })

// ---- operator.tigera.io/v1 -------------------------------------------------------------------------------------

const encapsulation = z.enum(['IPIPCrossSubnet', 'IPIP', 'VXLAN', 'VXLANCrossSubnet', 'None'])

export const installationSchema = z.strictObject({
  apiVersion: z.literal('operator.tigera.io/v1'),
  kind: z.literal('Installation'),
  // "At most one instance of this resource is supported. It must be named default."
  metadata: z.strictObject({ name: z.literal('default') }),
  spec: z.strictObject({
    calicoNetwork: z
      .strictObject({
        linuxDataplane: z.enum(['Iptables', 'BPF', 'VPP', 'Nftables']).optional(),
        bgp: z.enum(['Enabled', 'Disabled']).optional(),
        ipPools: z
          .array(
            z.strictObject({
              name: dnsName.optional(),
              cidr,
              blockSize: z.number().int().min(20).max(32).optional(),
              encapsulation: encapsulation.optional(),
              natOutgoing: z.enum(['Enabled', 'Disabled']).optional(),
              nodeSelector: selector.optional(),
              disableBGPExport: z.boolean().optional(),
            }),
          )
          .max(2)
          .optional(),
        mtu: z.number().int().optional(),
        nodeAddressAutodetectionV4: z
          .strictObject({
            firstFound: z.boolean().optional(),
            kubernetes: z.literal('NodeInternalIP').optional(),
            interface: z.string().optional(),
            skipInterface: z.string().optional(),
            canReach: z.string().optional(),
            cidrs: z.array(cidr).optional(),
          })
          .refine((a) => Object.keys(a).length <= 1, 'at most one autodetection method')
          .optional(),
      })
      .refine(
        (n) => !(n.ipPools ?? []).some((p) => p.encapsulation?.startsWith('IPIP')) || n.bgp !== 'Disabled',
        'IPIP encapsulation needs BGP (BIRD programs the IPIP routes)',
      )
      .optional(),
  }),
})

export const apiServerSchema = z.strictObject({
  apiVersion: z.literal('operator.tigera.io/v1'),
  kind: z.literal('APIServer'),
  metadata: z.strictObject({ name: z.literal('default') }),
  spec: z.strictObject({}),
})

// Goldmane and Whisker (tigera/operator v1.40.15 api/v1/goldmane_types.go, whisker_types.go): cluster-scoped, one
// instance named default (pkg/controller/utils/utils.go:71 DefaultInstanceKey). The lab sets no deployment overrides.
export const goldmaneSchema = z.strictObject({
  apiVersion: z.literal('operator.tigera.io/v1'),
  kind: z.literal('Goldmane'),
  metadata: z.strictObject({ name: z.literal('default') }),
  spec: z.strictObject({}).optional(),
})

export const whiskerSchema = z.strictObject({
  apiVersion: z.literal('operator.tigera.io/v1'),
  kind: z.literal('Whisker'),
  metadata: z.strictObject({ name: z.literal('default') }),
  spec: z.strictObject({ notifications: z.enum(['Enabled', 'Disabled']).optional() }).optional(),
})

// ---- projectcalico.org/v3 --------------------------------------------------------------------------------------

const mode = z.enum(['Never', 'Always', 'CrossSubnet'])

export const ipPoolSchema = z.strictObject({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('IPPool'),
  metadata: clusterMeta,
  spec: z
    .strictObject({
      cidr,
      blockSize: z.number().int().min(20).max(32).optional(),
      ipipMode: mode.optional(),
      vxlanMode: mode.optional(),
      natOutgoing: z.boolean().optional(),
      disabled: z.boolean().optional(),
      disableBGPExport: z.boolean().optional(),
      nodeSelector: selector.optional(),
      namespaceSelector: selector.optional(),
      allowedUses: z.array(z.enum(['Workload', 'Tunnel', 'LoadBalancer'])).min(1).optional(),
      assignmentMode: z.enum(['Automatic', 'Manual']).optional(),
    })
    .refine((s) => (s.ipipMode ?? 'Never') === 'Never' || (s.vxlanMode ?? 'Never') === 'Never', 'ipipMode and vxlanMode cannot both be on')
    .refine(
      (s) => !s.allowedUses?.includes('LoadBalancer') || s.allowedUses.length === 1,
      'a LoadBalancer pool cannot also serve Workload/Tunnel addresses',
    ),
})

const cidrList = z.array(z.strictObject({ cidr })).optional()

// ---- BGP exposure: the fields that keep LoadBalancer routes on endpoint nodes (Calico v3.31.7) ------------------
// api/pkg/apis/projectcalico/v3/bgpconfig.go (ServiceLoadBalancerAggregation), bgppeer.go (NextHopMode, Filters),
// bgpfilter.go (BGPFilterSpec, BGPFilterRuleV4), libcalico-go/lib/validator/v3/validator.go (validateBGPFilterRule).

const bgpConfigurationExposureFields = {
  serviceLoadBalancerAggregation: z.enum(['Enabled', 'Disabled']).optional(),
}

const bgpPeerExposureFields = {
  nextHopMode: z.enum(['Auto', 'Self', 'Keep']).optional(),
  filters: z.array(dnsName).optional(),
}

const bgpFilterRuleV4 = z
  .strictObject({
    action: z.enum(['Accept', 'Reject']),
    cidr: cidr.optional(),
    matchOperator: z.enum(['Equal', 'NotEqual', 'In', 'NotIn']).optional(),
    prefixLength: z
      .strictObject({ min: z.number().int().min(0).max(32).optional(), max: z.number().int().min(0).max(32).optional() })
      .optional(),
    source: z.literal('RemotePeers').optional(),
    interface: z.string().min(1).optional(),
  })
  .refine((r) => (r.cidr === undefined) === (r.matchOperator === undefined), 'cidr and matchOperator go together')
  .refine((r) => r.prefixLength === undefined || r.cidr !== undefined, 'prefixLength needs a cidr')

export const bgpFilterSchema = z.strictObject({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('BGPFilter'),
  metadata: clusterMeta,
  spec: z.strictObject({
    exportV4: z.array(bgpFilterRuleV4).optional(),
    importV4: z.array(bgpFilterRuleV4).optional(),
  }),
})

export const bgpConfigurationSchema = z.strictObject({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('BGPConfiguration'),
  metadata: clusterMeta,
  spec: z.strictObject({
    logSeverityScreen: z.enum(['Debug', 'Info', 'Warning', 'Error', 'Fatal']).optional(),
    nodeToNodeMeshEnabled: z.boolean().optional(),
    asNumber: z.number().int().min(1).max(4294967295).optional(),
    serviceClusterIPs: cidrList,
    serviceExternalIPs: cidrList,
    serviceLoadBalancerIPs: cidrList,
    listenPort: z.number().int().min(1).max(65535).optional(),
    ...bgpConfigurationExposureFields,
  }),
})

export const bgpPeerSchema = z.strictObject({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('BGPPeer'),
  metadata: clusterMeta,
  spec: z.strictObject({
    node: z.string().optional(),
    nodeSelector: selector.optional(),
    peerIP: ipv4,
    peerSelector: selector.optional(),
    asNumber: z.number().int().min(1).max(4294967295),
    keepOriginalNextHop: z.boolean().optional(),
    sourceAddress: z.enum(['UseNodeIP', 'None']).optional(),
    ...bgpPeerExposureFields,
  })
    // validator.go validateBGPPeerSpec: the deprecated field must not be true beside nextHopMode
    .refine((s) => !(s.keepOriginalNextHop && s.nextHopMode !== undefined), 'keepOriginalNextHop must not be true when nextHopMode is set'),
})

const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP', 'UDPLite', 6, 17, 132, 136]
const port = z.union([
  z.number().int().min(1).max(65535),
  z.string().regex(/^\d{1,5}:\d{1,5}$/, 'a port range is "first:last"'),
  z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a named port'),
])

const entityRule = z.strictObject({
  nets: z.array(cidr).optional(),
  notNets: z.array(cidr).optional(),
  selector: selector.optional(),
  notSelector: selector.optional(),
  namespaceSelector: selector.optional(),
  ports: z.array(port).min(1).optional(),
  notPorts: z.array(port).min(1).optional(),
  serviceAccounts: z.strictObject({ names: z.array(z.string()).optional(), selector: selector.optional() }).optional(),
  services: z.strictObject({ name: dnsName, namespace: dnsName.optional() }).optional(),
})

// A Rule has no top-level `ports`: they belong under `source` / `destination` (strictObject refuses them), and any
// ports need a protocol that has ports.
const rule = z
  .strictObject({
    action: z.enum(['Allow', 'Deny', 'Log', 'Pass']),
    protocol: z.union([z.enum(['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite']), z.number().int().min(1).max(255)]).optional(),
    notProtocol: z.union([z.enum(['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite']), z.number().int().min(1).max(255)]).optional(),
    ipVersion: z.union([z.literal(4), z.literal(6)]).optional(),
    source: entityRule.optional(),
    destination: entityRule.optional(),
  })
  .refine(
    (r) => {
      const hasPorts = [r.source, r.destination].some((e) => e?.ports || e?.notPorts)
      return !hasPorts || (r.protocol !== undefined && PORT_PROTOCOLS.includes(r.protocol))
    },
    'rules with ports must set protocol to TCP, UDP, SCTP or UDPLite',
  )

export const networkPolicySchema = z.strictObject({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('NetworkPolicy'),
  metadata: namespacedMeta,
  spec: z
    .strictObject({
      tier: dnsName.optional(),
      order: z.number().optional(),
      selector: selector.optional(),
      serviceAccountSelector: selector.optional(),
      types: z.array(z.enum(['Ingress', 'Egress'])).min(1).optional(),
      ingress: z.array(rule).optional(),
      egress: z.array(rule).optional(),
    })
    // Rules of a direction missing from `types` are never evaluated: a silent mistake, refuse it.
    .refine((s) => !s.types || !s.ingress?.length || s.types.includes('Ingress'), 'ingress rules but types lacks Ingress')
    .refine((s) => !s.types || !s.egress?.length || s.types.includes('Egress'), 'egress rules but types lacks Egress'),
})

/** The schema for a Calico or operator kind; undefined when the kind is not one of them. */
export function calicoSchemaFor(apiVersion: string, kind: string): z.ZodType | undefined {
  const key = `${apiVersion}/${kind}`
  return (
    {
      'operator.tigera.io/v1/Installation': installationSchema,
      'operator.tigera.io/v1/APIServer': apiServerSchema,
      'operator.tigera.io/v1/Goldmane': goldmaneSchema,
      'operator.tigera.io/v1/Whisker': whiskerSchema,
      'projectcalico.org/v3/IPPool': ipPoolSchema,
      'projectcalico.org/v3/BGPConfiguration': bgpConfigurationSchema,
      'projectcalico.org/v3/BGPPeer': bgpPeerSchema,
      'projectcalico.org/v3/BGPFilter': bgpFilterSchema,
      'projectcalico.org/v3/NetworkPolicy': networkPolicySchema,
    } as Record<string, z.ZodType>
  )[key]
}

export type CalicoRule = z.infer<typeof rule>
export type CalicoNetworkPolicy = z.infer<typeof networkPolicySchema>
