// projectcalico.org/v3 NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet and GlobalNetworkSet.
// Reference: https://docs.tigera.io/calico/latest/reference/resources/networkpolicy
//            https://docs.tigera.io/calico/latest/reference/resources/globalnetworkpolicy
//            https://docs.tigera.io/calico/latest/reference/resources/tier
// Selector scoping mirrors libcalico-go's update processors (networkpolicyprocessor.go,
// globalnetworkpolicyprocessor.go, rules.go GetEntityRuleSelector) and named ports mirror
// felix/calc/rule_scanner.go, so a rule matches exactly the packets Felix's IP sets would.
import { z } from 'zod'
import type { CompileContext, CompiledPolicy, CompiledRule, Direction, Packet, Peer, RuleAction, TierInfo } from './compiled.ts'
import {
  cidrContains,
  LABEL_CALICO_NAMESPACE,
  LABEL_CALICO_SERVICE_ACCOUNT,
  NAMESPACE_LABEL_PREFIX,
  parseCidr,
  SERVICE_ACCOUNT_LABEL_PREFIX,
  type Cidr,
  type NetworkSetInput,
  type Protocol,
} from './model.ts'
import { and, evaluateSelector, prefixLabels, replaceFunctions, type SelectorNode } from './selector.ts'
import { parseSelectorField, zodIssues } from './validation.ts'

export const DEFAULT_TIER: TierInfo = { name: 'default', order: 1_000_000, defaultAction: 'Deny' }

// ---- schemas ------------------------------------------------------------------------------------

const portValue = z.union([z.number().int().min(0).max(65535), z.string().min(1)])
const entityRuleSchema = z.strictObject({
  nets: z.array(z.string()).nullish(),
  notNets: z.array(z.string()).nullish(),
  selector: z.string().nullish(),
  notSelector: z.string().nullish(),
  namespaceSelector: z.string().nullish(),
  ports: z.array(portValue).nullish(),
  notPorts: z.array(portValue).nullish(),
  serviceAccounts: z.strictObject({ names: z.array(z.string()).nullish(), selector: z.string().nullish() }).nullish(),
  services: z.unknown().optional(),
})
const icmpSchema = z.strictObject({ type: z.number().int().min(0).max(254).optional(), code: z.number().int().min(0).max(255).optional() })
const protocolValue = z.union([z.enum(['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite']), z.number().int().min(1).max(255)])
const ruleSchema = z.strictObject({
  action: z.enum(['Allow', 'Deny', 'Log', 'Pass']),
  protocol: protocolValue.nullish(),
  notProtocol: protocolValue.nullish(),
  icmp: icmpSchema.nullish(),
  notICMP: icmpSchema.nullish(),
  ipVersion: z.union([z.literal(4), z.literal(6)]).nullish(),
  source: entityRuleSchema.nullish(),
  destination: entityRuleSchema.nullish(),
  http: z.unknown().optional(),
  metadata: z.strictObject({ annotations: z.record(z.string(), z.string()).nullish() }).nullish(),
})
type RuleSpec = z.infer<typeof ruleSchema>
type EntitySpec = z.infer<typeof entityRuleSchema>

const LABEL_NAME = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const policySpecShape = {
  tier: z.string().nullish(),
  order: z.number().nullish(),
  selector: z.string().nullish(),
  serviceAccountSelector: z.string().nullish(),
  types: z.array(z.enum(['Ingress', 'Egress'])).nullish(),
  ingress: z.array(ruleSchema).nullish(),
  egress: z.array(ruleSchema).nullish(),
  performanceHints: z.array(z.string()).nullish(),
}
const metadataSchema = z.looseObject({ name: z.string().min(1), namespace: z.string().optional() })

export const calicoNetworkPolicySchema = z.object({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('NetworkPolicy'),
  metadata: metadataSchema.extend({
    name: z.string().regex(new RegExp(`^(${LABEL_NAME}(\\.${LABEL_NAME})?)$`), 'must be a DNS label, optionally "<tier>.<name>"'),
  }),
  spec: z.strictObject(policySpecShape),
})
export const calicoGlobalNetworkPolicySchema = z.object({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('GlobalNetworkPolicy'),
  metadata: metadataSchema.extend({
    name: z.string().regex(new RegExp(`^(${LABEL_NAME}\\.)?${LABEL_NAME}$`), 'must be a DNS label, optionally "<tier>.<name>"'),
  }),
  spec: z.strictObject({
    ...policySpecShape,
    namespaceSelector: z.string().nullish(),
    doNotTrack: z.boolean().nullish(),
    preDNAT: z.boolean().nullish(),
    applyOnForward: z.boolean().nullish(),
  }),
})
export const tierSchema = z.object({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('Tier'),
  metadata: metadataSchema.extend({ name: z.string().regex(new RegExp(`^${LABEL_NAME}$`), 'tier names are DNS labels (no dots)') }),
  spec: z.strictObject({ order: z.number().nullish(), defaultAction: z.enum(['Deny', 'Pass']).nullish() }).default({}),
})
const networkSetSpec = z.strictObject({ nets: z.array(z.string()).nullish() }).default({})
export const networkSetSchema = z.object({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('NetworkSet'),
  metadata: metadataSchema,
  spec: networkSetSpec,
})
export const globalNetworkSetSchema = z.object({
  apiVersion: z.literal('projectcalico.org/v3'),
  kind: z.literal('GlobalNetworkSet'),
  metadata: metadataSchema,
  spec: networkSetSpec,
})

type CalicoNetworkPolicy = z.infer<typeof calicoNetworkPolicySchema>
type CalicoGlobalNetworkPolicy = z.infer<typeof calicoGlobalNetworkPolicySchema>
export type CalicoPolicy = CalicoNetworkPolicy | CalicoGlobalNetworkPolicy

// ---- protocols and ports ------------------------------------------------------------------------

const PROTOCOL_NUMBERS: Record<string, number> = { TCP: 6, UDP: 17, ICMP: 1, ICMPv6: 58, SCTP: 132, UDPLite: 136 }
const PROBE_PROTOCOL_NUMBERS: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 }

function protocolNumber(p: string | number): number {
  return typeof p === 'number' ? p : (PROTOCOL_NUMBERS[p] as number)
}
/** numorstring.Protocol.SupportsPorts: TCP, UDP and SCTP, by name or number. */
function supportsPorts(p: string | number): boolean {
  return [6, 17, 132].includes(protocolNumber(p))
}

interface PortMatch {
  readonly ranges: readonly (readonly [number, number])[]
  readonly names: readonly string[]
}

function parsePorts(list: readonly (string | number)[], where: string, issues: string[]): PortMatch {
  const ranges: [number, number][] = []
  const names: string[] = []
  list.forEach((p, i) => {
    if (typeof p === 'number') {
      ranges.push([p, p])
      return
    }
    const range = /^(\d+):(\d+)$/.exec(p)
    if (range) {
      const lo = Number(range[1])
      const hi = Number(range[2])
      if (hi > 65535 || lo > hi) issues.push(`${where}[${i}]: "${p}" is not a valid port range (start:end, start ≤ end ≤ 65535)`)
      ranges.push([lo, hi])
    } else if (/^\d+$/.test(p)) {
      const n = Number(p)
      if (n > 65535) issues.push(`${where}[${i}]: port ${p} is above 65535`)
      ranges.push([n, n])
    } else if (p.includes(':')) {
      issues.push(`${where}[${i}]: "${p}" is not a port, a "start:end" range or a port name`)
    } else {
      names.push(p)
    }
  })
  return { ranges, names }
}

// ---- entity rules -------------------------------------------------------------------------------

interface CompiledEntity {
  readonly nets: readonly Cidr[] | undefined
  readonly notNets: readonly Cidr[] | undefined
  /** The single positive selector Calico builds from selector, namespaceSelector and serviceAccounts. */
  readonly positive: SelectorNode | undefined
  readonly negative: SelectorNode | undefined
  readonly ports: PortMatch | undefined
  readonly notPorts: PortMatch | undefined
}

const HAS_NAMESPACE: SelectorNode = { op: 'has', key: LABEL_CALICO_NAMESPACE }
const NOT_HAS_NAMESPACE: SelectorNode = { op: '!', operand: HAS_NAMESPACE }

function compileEntity(
  e: EntitySpec | null | undefined,
  policyNamespace: string | undefined,
  where: string,
  protocol: string | number | undefined,
  issues: string[],
): CompiledEntity {
  const entity = e ?? {}
  if (entity.services !== undefined) issues.push(`${where}.services: Kubernetes Service matches are not modelled by this engine`)
  const sel = parseSelectorField(entity.selector ?? undefined, `${where}.selector`, issues)
  if (entity.selector?.includes('global(')) issues.push(`${where}.selector: global() can only be used in an EntityRule namespaceSelector`)
  const notSel = parseSelectorField(entity.notSelector ?? undefined, `${where}.notSelector`, issues)
  const nsSelText = entity.namespaceSelector ?? undefined
  const nsSel = parseSelectorField(nsSelText, `${where}.namespaceSelector`, issues)
  if (nsSelText?.includes('global(') && nsSelText.trim() !== 'global()') {
    issues.push(`${where}.namespaceSelector: global() cannot be combined with other selectors`)
  }
  const saSel = parseSelectorField(entity.serviceAccounts?.selector ?? undefined, `${where}.serviceAccounts.selector`, issues)

  // rules.go getEndpointSelector: the namespace scope is the namespaceSelector (on pcns.* labels, all()
  // meaning "any namespaced endpoint" and global() "only non-namespaced ones"), or else the policy's own
  // namespace for a namespaced policy, or else nothing (GlobalNetworkPolicy).
  let scope: SelectorNode | undefined
  if (nsSelText !== undefined && nsSelText !== '' && nsSel) {
    scope = replaceFunctions(prefixLabels(nsSel, NAMESPACE_LABEL_PREFIX), { all: HAS_NAMESPACE, global: NOT_HAS_NAMESPACE })
  } else if (policyNamespace !== undefined) {
    scope = { op: '==', key: LABEL_CALICO_NAMESPACE, value: policyNamespace }
  }
  const parts: SelectorNode[] = []
  const sa = entity.serviceAccounts
  if (sa) {
    const saParts: SelectorNode[] = []
    if (saSel && (sa.selector ?? '') !== '') saParts.push(prefixLabels(saSel, SERVICE_ACCOUNT_LABEL_PREFIX))
    if ((sa.names ?? []).length > 0) {
      saParts.push({ op: 'in', key: LABEL_CALICO_SERVICE_ACCOUNT, values: [...new Set(sa.names)].sort() })
    }
    if (saParts.length > 0) parts.push(and(...saParts))
  }
  if (sel && (entity.selector ?? '') !== '') parts.push(sel)
  const hasNotSelector = (entity.notSelector ?? '') !== ''
  const hasNsSelector = (nsSelText ?? '') !== ''
  let positive: SelectorNode | undefined
  if (scope && (parts.length > 0 || hasNotSelector || hasNsSelector)) positive = and(scope, ...parts)
  else if (parts.length > 0) positive = and(...parts)

  const nets = (list: readonly string[] | null | undefined, field: string): Cidr[] | undefined => {
    if (!list || list.length === 0) return undefined
    const out: Cidr[] = []
    list.forEach((n, i) => {
      const c = parseCidr(n, true)
      if (!c) issues.push(`${where}.${field}[${i}]: "${n}" is not a CIDR or IP address`)
      else {
        if (field === 'notNets' && c.prefix === 0) {
          issues.push(`${where}.notNets[${i}]: catch-all CIDR in negation creates a logical contradiction (matches no traffic)`)
        }
        out.push(c)
      }
    })
    return out
  }
  const portsOf = (list: readonly (string | number)[] | null | undefined, field: string): PortMatch | undefined => {
    if (!list || list.length === 0) return undefined
    const parsed = parsePorts(list, `${where}.${field}`, issues)
    if (protocol === undefined && parsed.ranges.length > 0) {
      issues.push(`${where}.${field}: rules with numeric port or port range must set protocol to TCP or UDP or SCTP`)
    } else if (protocol !== undefined && !supportsPorts(protocol)) {
      issues.push(`${where}.${field}: rules that specify ports must set protocol to TCP or UDP or SCTP`)
    }
    return parsed
  }
  const compiled: CompiledEntity = {
    nets: nets(entity.nets, 'nets'),
    notNets: nets(entity.notNets, 'notNets'),
    positive,
    negative: hasNotSelector ? notSel : undefined,
    ports: portsOf(entity.ports, 'ports'),
    notPorts: portsOf(entity.notPorts, 'notPorts'),
  }
  const families = new Set([...(compiled.nets ?? []), ...(compiled.notNets ?? [])].map((c) => c.family))
  if (families.size > 1) issues.push(`${where}: rule contains both IPv4 and IPv6 CIDRs`)
  return compiled
}

/**
 * A selector matches a packet address when a pod with that IP matches it, or when the address is inside a
 * (Global)NetworkSet that matches it: Calico renders a rule selector as an IP set of endpoint IPs and
 * network-set CIDRs.
 */
function selectorMatchesPeer(sel: SelectorNode, peer: Peer, ctx: CompileContext): boolean {
  if (peer.pod && evaluateSelector(sel, peer.pod.endpointLabels)) return true
  for (const s of ctx.networkSets) {
    if (s.nets.some((c) => cidrContains(c, peer.ip)) && evaluateSelector(sel, s.endpointLabels)) return true
  }
  return false
}

/**
 * Named ports (felix/calc/rule_scanner.go): an IP set of (IP, protocol, port) for the endpoints that match
 * the rule's positive selector (all() if none) and have a port of that name with the rule's protocol
 * (TCP unless the rule says UDP or SCTP).
 */
function namedPortMatches(name: string, peer: Peer, packet: Packet, positive: SelectorNode | undefined, protocol: Protocol): boolean {
  const pod = peer.pod
  if (!pod) return false
  if (packet.protocol !== protocol) return false
  if (positive && !evaluateSelector(positive, pod.endpointLabels)) return false
  return pod.ports.some((p) => p.name === name && p.protocol === protocol && p.containerPort === packet.port)
}

function portListMatches(ports: PortMatch, peer: Peer, packet: Packet, positive: SelectorNode | undefined, namedProtocol: Protocol): boolean {
  if (ports.ranges.some(([lo, hi]) => packet.port >= lo && packet.port <= hi)) return true
  return ports.names.some((n) => namedPortMatches(n, peer, packet, positive, namedProtocol))
}

function entityMatches(e: CompiledEntity, peer: Peer, packet: Packet, namedProtocol: Protocol, ctx: CompileContext, checkPorts: boolean): boolean {
  if (e.nets && !e.nets.some((c) => cidrContains(c, peer.ip))) return false
  if (e.notNets && e.notNets.some((c) => cidrContains(c, peer.ip))) return false
  if (e.positive && !selectorMatchesPeer(e.positive, peer, ctx)) return false
  if (e.negative && selectorMatchesPeer(e.negative, peer, ctx)) return false
  if (checkPorts) {
    if (e.ports && !portListMatches(e.ports, peer, packet, e.positive, namedProtocol)) return false
    if (e.notPorts && portListMatches(e.notPorts, peer, packet, e.positive, namedProtocol)) return false
  }
  return true
}

function compileRule(
  r: RuleSpec,
  direction: Direction,
  index: number,
  policyNamespace: string | undefined,
  where: string,
  ctx: CompileContext,
  issues: string[],
): CompiledRule {
  const protocol = r.protocol ?? undefined
  if (r.http !== undefined) issues.push(`${where}.http: application layer (HTTP) matches are not modelled by this engine`)
  if ((r.icmp || r.notICMP) && (protocol === undefined || ![1, 58].includes(protocolNumber(protocol)))) {
    issues.push(`${where}: rules that specify ICMP fields must set protocol to ICMP or ICMPv6`)
  }
  const source = compileEntity(r.source, policyNamespace, `${where}.source`, protocol, issues)
  const destination = compileEntity(r.destination, policyNamespace, `${where}.destination`, protocol, issues)
  if (source.ports || source.notPorts) {
    issues.push(`${where}.source: source ports are not modelled (a probe has no fixed source port)`)
  }
  const wanted = protocol === undefined ? undefined : protocolNumber(protocol)
  const notWanted = r.notProtocol == null ? undefined : protocolNumber(r.notProtocol)
  const namedProtocol: Protocol = wanted === 17 ? 'UDP' : wanted === 132 ? 'SCTP' : 'TCP'
  const hasIcmpMatch = r.icmp != null
  return {
    label: `${direction}[${index}]`,
    action: r.action as RuleAction,
    match(packet) {
      if (r.ipVersion === 6) return undefined // every modelled address is IPv4
      const proto = PROBE_PROTOCOL_NUMBERS[packet.protocol]
      if (wanted !== undefined && proto !== wanted) return undefined
      if (notWanted !== undefined && proto === notWanted) return undefined
      if (hasIcmpMatch) return undefined // ICMP type/code never matches a TCP/UDP/SCTP probe
      if (!entityMatches(source, packet.src, packet, namedProtocol, ctx, false)) return undefined
      if (!entityMatches(destination, packet.dst, packet, namedProtocol, ctx, true)) return undefined
      return ''
    },
  }
}

// ---- policies -----------------------------------------------------------------------------------

function defaultTypes(spec: { types?: readonly ('Ingress' | 'Egress')[] | null; ingress?: readonly unknown[] | null; egress?: readonly unknown[] | null }): Set<Direction> {
  // networkpolicy.mdx: with no `types`, Ingress if there are ingress rules or no rules at all, Egress if
  // there are egress rules.
  const types = new Set<Direction>()
  if (spec.types && spec.types.length > 0) {
    for (const t of spec.types) types.add(t === 'Ingress' ? 'ingress' : 'egress')
    return types
  }
  const hasIngress = (spec.ingress ?? []).length > 0
  const hasEgress = (spec.egress ?? []).length > 0
  if (hasIngress || !hasEgress) types.add('ingress')
  if (hasEgress) types.add('egress')
  return types
}

export function parseCalicoPolicy(resource: unknown, kind: 'NetworkPolicy' | 'GlobalNetworkPolicy', where: string, issues: string[]): CalicoPolicy | undefined {
  const schema = kind === 'NetworkPolicy' ? calicoNetworkPolicySchema : calicoGlobalNetworkPolicySchema
  const parsed = schema.safeParse(resource)
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error, where))
    return undefined
  }
  return parsed.data
}

export function compileCalicoPolicy(p: CalicoPolicy, where: string, ctx: CompileContext, issues: string[]): CompiledPolicy | undefined {
  const before = issues.length
  const spec = p.spec
  const global = p.kind === 'GlobalNetworkPolicy'
  const namespace = global ? undefined : (p.metadata.namespace ?? 'default')
  const tier = spec.tier ?? 'default'
  if (!ctx.knownTiers.has(tier)) issues.push(`${where}.spec.tier: tier "${tier}" does not exist (add a projectcalico.org/v3 Tier named "${tier}")`)

  const sel = parseSelectorField(spec.selector ?? undefined, `${where}.spec.selector`, issues)
  const saSel = parseSelectorField(spec.serviceAccountSelector ?? undefined, `${where}.spec.serviceAccountSelector`, issues)
  let nsSel: SelectorNode | undefined
  if (p.kind === 'GlobalNetworkPolicy') {
    nsSel = parseSelectorField(p.spec.namespaceSelector ?? undefined, `${where}.spec.namespaceSelector`, issues)
  }
  for (const [field, text] of [['selector', spec.selector], ['serviceAccountSelector', spec.serviceAccountSelector],
    ['namespaceSelector', p.kind === 'GlobalNetworkPolicy' ? p.spec.namespaceSelector : undefined]] as const) {
    if (text?.includes('global(')) issues.push(`${where}.spec.${field}: global() can only be used in an EntityRule namespaceSelector`)
  }

  // The endpoint selector Felix gets (networkpolicyprocessor.go / globalnetworkpolicyprocessor.go).
  let selector: SelectorNode = sel ?? { op: 'all' }
  if (!global) {
    selector = and(selector, { op: '==', key: LABEL_CALICO_NAMESPACE, value: namespace as string })
    if (saSel && (spec.serviceAccountSelector ?? '') !== '') selector = and(selector, prefixLabels(saSel, SERVICE_ACCOUNT_LABEL_PREFIX))
  } else {
    if (nsSel && ((p.spec as CalicoGlobalNetworkPolicy['spec']).namespaceSelector ?? '') !== '') {
      selector = replaceFunctions(and(selector, prefixLabels(nsSel, NAMESPACE_LABEL_PREFIX)), { all: HAS_NAMESPACE })
    }
    if (saSel && (spec.serviceAccountSelector ?? '') !== '') {
      selector = replaceFunctions(and(selector, prefixLabels(saSel, SERVICE_ACCOUNT_LABEL_PREFIX)), {
        all: { op: 'has', key: LABEL_CALICO_SERVICE_ACCOUNT },
      })
    }
  }
  // doNotTrack and preDNAT policies are only rendered for host endpoints (globalnetworkpolicy.mdx).
  const hostOnly = global && ((p.spec as CalicoGlobalNetworkPolicy['spec']).doNotTrack === true ||
    (p.spec as CalicoGlobalNetworkPolicy['spec']).preDNAT === true)

  const ingress = (spec.ingress ?? []).map((r, i) => compileRule(r, 'ingress', i, namespace, `${where}.spec.ingress[${i}]`, ctx, issues))
  const egress = (spec.egress ?? []).map((r, i) => compileRule(r, 'egress', i, namespace, `${where}.spec.egress[${i}]`, ctx, issues))
  if (issues.length > before) return undefined
  const finalSelector = selector
  return {
    kind: p.kind,
    name: p.metadata.name,
    namespace,
    id: global ? p.metadata.name : `${namespace}/${p.metadata.name}`,
    tier,
    order: spec.order ?? undefined,
    types: defaultTypes(spec),
    selects: hostOnly ? () => false : (pod) => evaluateSelector(finalSelector, pod.endpointLabels),
    ingress,
    egress,
  }
}

export function parseTier(resource: unknown, where: string, issues: string[]): TierInfo | undefined {
  const parsed = tierSchema.safeParse(resource)
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error, where))
    return undefined
  }
  const t = parsed.data
  const order = t.spec.order ?? undefined
  if (t.metadata.name === 'default' && order !== undefined && order !== DEFAULT_TIER.order) {
    issues.push(`${where}.spec.order: the default tier's order is fixed at ${DEFAULT_TIER.order}`)
  }
  return {
    name: t.metadata.name,
    order: t.metadata.name === 'default' ? DEFAULT_TIER.order : order,
    defaultAction: t.spec.defaultAction ?? 'Deny',
  }
}

export function parseNetworkSet(resource: unknown, kind: 'NetworkSet' | 'GlobalNetworkSet', where: string, issues: string[]): NetworkSetInput | undefined {
  const parsed = (kind === 'NetworkSet' ? networkSetSchema : globalNetworkSetSchema).safeParse(resource)
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error, where))
    return undefined
  }
  const labels = (parsed.data.metadata as { labels?: Record<string, string> }).labels ?? {}
  if (Object.hasOwn(labels, LABEL_CALICO_NAMESPACE)) issues.push(`${where}.metadata.labels: ${LABEL_CALICO_NAMESPACE} is not a valid label name`)
  return {
    namespace: kind === 'NetworkSet' ? (parsed.data.metadata.namespace ?? 'default') : undefined,
    name: parsed.data.metadata.name,
    labels,
    nets: parsed.data.spec.nets ?? [],
  }
}
