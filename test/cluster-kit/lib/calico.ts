// Strict zod schemas of the Calico (projectcalico.org/v3) and Tigera operator (operator.tigera.io/v1) fields this
// lab uses. Unknown fields are refused, as the API server refuses them (fields from api/pkg/apis/projectcalico/v3 and
// tigera/operator api/v1; docs.tigera.io resource reference). Calico's policies, selectors and CIDRs are checked by the
// policy engine's own schemas and parsers (demo-server/src/policy): one definition of each, here as everywhere.
import { z } from 'zod'
import { buildModel, CaseError, compilePolicies, parseSelector } from '../../../demo-server/src/policy/index.ts'
import { isNetworkCidr } from '../../../demo-server/src/policy/model.ts'

// ---- shared field schemas --------------------------------------------------------------------------------------

const selector = z.string().refine((s) => {
  try {
    parseSelector(s)
    return true
  } catch {
    return false
  }
}, 'not a valid Calico selector')

const cidr = z.string().refine(isNetworkCidr, 'not a valid IPv4 CIDR (without host bits)')

const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'not an IPv4 address')
const dnsName = z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'not a DNS-1123 name')

const clusterMeta = z.strictObject({
  name: dnsName,
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
})

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

interface RuleDirections {
  spec?: { types?: string[]; ingress?: unknown[]; egress?: unknown[] }
}

/**
 * A projectcalico.org/v3 NetworkPolicy or GlobalNetworkPolicy (staged or not) as the policy engine validates it (the
 * engine's zod schema: unknown fields, `ports` outside destination/source, ports without a protocol that has them, bad
 * selectors and actions are all refused), with the tier it names standing in, plus two lints: rules of a direction
 * missing from `types` are never evaluated — Calico accepts that silently, so the lab refuses it; and a policy outside
 * the default tier is named `<tier>.<name>`, which Calico's API server requires (libcalico-go/lib/names/policy.go
 * ValidateTieredPolicyName at v3.31.7).
 */
export const networkPolicySchema = z.unknown().superRefine((obj, ctx) => {
  const { metadata, spec: tiered } = obj as { metadata?: { namespace?: unknown; name?: unknown }; spec?: { tier?: unknown } }
  const namespace = metadata?.namespace
  const tier = typeof tiered?.tier === 'string' ? tiered.tier : 'default'
  const stand = tier === 'default' ? [] : [{ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: tier }, spec: { order: 100 } }]
  try {
    compilePolicies([...stand, obj], buildModel({ namespaces: [{ name: typeof namespace === 'string' ? namespace : 'default' }], pods: [] }))
  } catch (error) {
    if (!(error instanceof CaseError)) throw error
    for (const issue of error.issues) ctx.addIssue({ code: 'custom', message: issue })
  }
  const name = typeof metadata?.name === 'string' ? metadata.name : ''
  if (tier !== 'default' && !(name.startsWith(`${tier}.`) && !name.slice(tier.length + 1).includes('.'))) {
    ctx.addIssue({ code: 'custom', message: `a policy in tier ${tier} is named "${tier}.<name>", not "${name}"` })
  }
  const spec = (obj as RuleDirections).spec
  if (spec?.types && spec.ingress?.length && !spec.types.includes('Ingress')) ctx.addIssue({ code: 'custom', message: 'ingress rules but types lacks Ingress' })
  if (spec?.types && spec.egress?.length && !spec.types.includes('Egress')) ctx.addIssue({ code: 'custom', message: 'egress rules but types lacks Egress' })
})

/**
 * A Tier (api/pkg/apis/projectcalico/v3/tier.go): cluster-scoped, an order and a defaultAction. The built-in tiers'
 * orders are fixed by Calico's validator (libcalico-go/lib/validator/v3/validator.go), so the lab refuses to redefine
 * them with another.
 */
const BUILT_IN_TIER_ORDERS: Record<string, number> = { adminnetworkpolicy: 1_000, default: 1_000_000, baselineadminnetworkpolicy: 10_000_000 }

export const tierSchema = z.strictObject({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('Tier'),
  metadata: clusterMeta.refine((m) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(m.name), 'a tier name is lower case alphanumeric or -'),
  spec: z.strictObject({ order: z.number(), defaultAction: z.enum(['Deny', 'Pass']).optional() }),
}).refine((t) => {
  const fixed = BUILT_IN_TIER_ORDERS[t.metadata.name]
  return fixed === undefined || t.spec.order === fixed
}, 'a built-in tier keeps its fixed order')

/** A GlobalNetworkSet: cluster-scoped, labels and nets only (api/pkg/apis/projectcalico/v3/globalnetworkset.go). */
export const globalNetworkSetSchema = z.strictObject({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('GlobalNetworkSet'),
  metadata: clusterMeta,
  spec: z.strictObject({ nets: z.array(cidr).min(1) }),
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
      // the engine validates a staged policy as the policy it previews, plus its stagedAction (policy/staged.ts)
      'projectcalico.org/v3/StagedNetworkPolicy': networkPolicySchema,
      'projectcalico.org/v3/GlobalNetworkPolicy': networkPolicySchema,
      'projectcalico.org/v3/StagedGlobalNetworkPolicy': networkPolicySchema,
      'projectcalico.org/v3/Tier': tierSchema,
      'projectcalico.org/v3/GlobalNetworkSet': globalNetworkSetSchema,
    } as Record<string, z.ZodType>
  )[key]
}

