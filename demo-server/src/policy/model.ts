// The cluster model the engine reasons about: namespaces, pods (workload endpoints), service accounts and
// Calico network sets, each with the label view Calico evaluates selectors against.
//
// Automatic labels (https://docs.tigera.io/calico/latest/network-policy/get-started/calico-policy/calico-labels):
// - Kubernetes puts `kubernetes.io/metadata.name=<name>` on every namespace
//   (https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#automatic-labelling);
// - Calico adds `projectcalico.org/name=<name>` to namespaces and service accounts (namespaceSelector and
//   serviceAccountSelector see it);
// - a pod's workload endpoint gets `projectcalico.org/namespace`, `projectcalico.org/orchestrator=k8s` and
//   `projectcalico.org/serviceaccount` (libcalico-go k8s/conversion workload_endpoint_default.go);
// - the endpoint inherits its namespace's labels as `pcns.<key>` and its service account's labels as
//   `pcsa.<key>` from the kns.<ns> / ksa.<ns>.<sa> profiles, which is how namespaceSelector and
//   serviceAccounts matches are evaluated (libcalico-go NamespaceToProfile / ServiceAccountToProfile).

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const
export type Protocol = (typeof PROTOCOLS)[number]

export const LABEL_K8S_NAMESPACE_NAME = 'kubernetes.io/metadata.name'
export const LABEL_CALICO_NAME = 'projectcalico.org/name'
export const LABEL_CALICO_NAMESPACE = 'projectcalico.org/namespace'
export const LABEL_CALICO_ORCHESTRATOR = 'projectcalico.org/orchestrator'
export const LABEL_CALICO_SERVICE_ACCOUNT = 'projectcalico.org/serviceaccount'
export const NAMESPACE_LABEL_PREFIX = 'pcns.'
export const SERVICE_ACCOUNT_LABEL_PREFIX = 'pcsa.'

export type LabelMap = Readonly<Record<string, string>>

export interface ContainerPortInput {
  readonly name?: string | undefined
  readonly containerPort: number
  readonly protocol?: Protocol | undefined
}
export interface NamespaceInput {
  readonly name: string
  readonly labels?: LabelMap | undefined
}
export interface PodInput {
  readonly namespace: string
  readonly name: string
  readonly labels?: LabelMap | undefined
  readonly ip: string
  readonly serviceAccount?: string | undefined
  readonly ports?: readonly ContainerPortInput[] | undefined
}
export interface ServiceAccountInput {
  readonly namespace: string
  readonly name: string
  readonly labels?: LabelMap | undefined
}
/** A Calico NetworkSet (namespace set) or GlobalNetworkSet (namespace undefined). */
export interface NetworkSetInput {
  readonly namespace?: string | undefined
  readonly name: string
  readonly labels?: LabelMap | undefined
  readonly nets: readonly string[]
}
export interface ModelInput {
  readonly namespaces: readonly NamespaceInput[]
  readonly pods: readonly PodInput[]
  readonly serviceAccounts?: readonly ServiceAccountInput[] | undefined
}

export interface ContainerPort {
  readonly name: string | undefined
  readonly containerPort: number
  readonly protocol: Protocol
}
export interface Namespace {
  readonly name: string
  /** Namespace labels as Kubernetes sees them (including kubernetes.io/metadata.name). */
  readonly labels: LabelMap
  /** What a Calico namespaceSelector is evaluated against: labels + projectcalico.org/name. */
  readonly calicoLabels: LabelMap
}
export interface Pod {
  readonly key: string // "namespace/name"
  readonly namespace: string
  readonly name: string
  readonly labels: LabelMap
  readonly ip: string
  readonly ipNumber: number
  readonly serviceAccount: string
  readonly ports: readonly ContainerPort[]
  /** Calico's view of the workload endpoint: pod labels + automatic labels + pcns.* + pcsa.* */
  readonly endpointLabels: LabelMap
}
export interface NetworkSet {
  readonly key: string
  readonly namespace: string | undefined
  readonly name: string
  readonly nets: readonly Cidr[]
  readonly endpointLabels: LabelMap
}
export interface ClusterModel {
  readonly namespaces: ReadonlyMap<string, Namespace>
  readonly pods: readonly Pod[]
  readonly podsByKey: ReadonlyMap<string, Pod>
  readonly podsByIp: ReadonlyMap<number, Pod>
}

/** Thrown for an inconsistent model or case; `issues` lists every problem found, one line each. */
export class CaseError extends Error {
  readonly issues: readonly string[]
  constructor(issues: readonly string[]) {
    super(issues.length === 1 ? (issues[0] as string) : `${issues.length} problems:\n- ${issues.join('\n- ')}`)
    this.name = 'CaseError'
    this.issues = issues
  }
}

// ---- IPv4 ---------------------------------------------------------------------------------------

export function parseIPv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!m) return undefined
  let n = 0
  for (let i = 1; i <= 4; i++) {
    const part = m[i] as string
    if (part.length > 1 && part.startsWith('0')) return undefined
    const v = Number(part)
    if (v > 255) return undefined
    n = n * 256 + v
  }
  return n
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/** An IPv4 CIDR (`family: 4`) or an IPv6 one, which is accepted but can never contain an IPv4 address. */
export interface Cidr {
  readonly text: string
  readonly family: 4 | 6
  readonly base: number
  readonly prefix: number
}

const IPV6_CIDR = /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(\/(\d{1,3}))?$/

/** Parses "a.b.c.d/n" (or a bare address when `allowBareIp`, as Calico's nets accept). */
export function parseCidr(text: string, allowBareIp = false): Cidr | undefined {
  const v6 = IPV6_CIDR.exec(text)
  if (v6) {
    const prefix = v6[2] === undefined ? 128 : Number(v6[2])
    if ((v6[1] === undefined && !allowBareIp) || prefix > 128) return undefined
    return { text, family: 6, base: 0, prefix }
  }
  const slash = text.indexOf('/')
  const ipText = slash === -1 ? text : text.slice(0, slash)
  if (slash === -1 && !allowBareIp) return undefined
  const prefixText = slash === -1 ? '32' : text.slice(slash + 1)
  if (!/^\d{1,2}$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  const ip = parseIPv4(ipText)
  if (ip === undefined || prefix > 32) return undefined
  // Calico and Kubernetes both mask the address to its network (10.0.0.7/8 means 10.0.0.0/8).
  return { text, family: 4, base: maskOf(ip, prefix), prefix }
}

function maskOf(ip: number, prefix: number): number {
  if (prefix === 0) return 0
  return (ip & (~0 << (32 - prefix))) >>> 0
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return cidr.family === 4 && maskOf(ip, cidr.prefix) === cidr.base
}

/** True when the two ranges share an address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrWithin(a, b) || cidrWithin(b, a)
}

/** "a.b.c.d/n" whose address has no host bits set (what a careful manifest writes; Calico itself would mask them). */
export function isNetworkCidr(text: string): boolean {
  const cidr = parseCidr(text)
  return cidr !== undefined && cidr.family === 4 && formatIPv4(cidr.base) === text.split('/')[0]
}

/** True when every address of `inner` is in `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.prefix >= outer.prefix &&
    (inner.family === 6 || maskOf(inner.base, outer.prefix) === outer.base)
}

// ---- building the model -------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export function buildModel(input: ModelInput): ClusterModel {
  const issues: string[] = []
  const namespaces = new Map<string, Namespace>()
  for (const ns of input.namespaces) {
    if (!DNS_LABEL.test(ns.name) || ns.name.length > 63) issues.push(`namespace "${ns.name}": not a valid namespace name`)
    if (namespaces.has(ns.name)) issues.push(`namespace "${ns.name}" is declared twice`)
    const given = ns.labels ?? {}
    const auto = given[LABEL_K8S_NAMESPACE_NAME]
    if (auto !== undefined && auto !== ns.name) {
      issues.push(`namespace "${ns.name}": label ${LABEL_K8S_NAMESPACE_NAME} must be "${ns.name}" (Kubernetes sets it to the namespace name)`)
    }
    const labels = { ...given, [LABEL_K8S_NAMESPACE_NAME]: ns.name }
    namespaces.set(ns.name, { name: ns.name, labels, calicoLabels: { ...labels, [LABEL_CALICO_NAME]: ns.name } })
  }

  const saLabels = new Map<string, LabelMap>()
  for (const sa of input.serviceAccounts ?? []) {
    if (!namespaces.has(sa.namespace)) issues.push(`service account ${sa.namespace}/${sa.name}: namespace "${sa.namespace}" is not declared`)
    saLabels.set(`${sa.namespace}/${sa.name}`, { ...(sa.labels ?? {}), [LABEL_CALICO_NAME]: sa.name })
  }

  const pods: Pod[] = []
  const podsByKey = new Map<string, Pod>()
  const podsByIp = new Map<number, Pod>()
  for (const p of input.pods) {
    const key = `${p.namespace}/${p.name}`
    const ns = namespaces.get(p.namespace)
    if (!ns) issues.push(`pod ${key}: namespace "${p.namespace}" is not declared in namespaces`)
    if (!DNS_SUBDOMAIN.test(p.name)) issues.push(`pod ${key}: "${p.name}" is not a valid pod name`)
    if (podsByKey.has(key)) issues.push(`pod ${key} is declared twice`)
    const ipNumber = parseIPv4(p.ip)
    if (ipNumber === undefined) {
      issues.push(`pod ${key}: ip "${p.ip}" is not an IPv4 address`)
      continue
    }
    const clash = podsByIp.get(ipNumber)
    if (clash) issues.push(`pod ${key}: ip ${p.ip} is already used by pod ${clash.key}`)
    const serviceAccount = p.serviceAccount ?? 'default'
    const ports: ContainerPort[] = []
    const portNames = new Set<string>()
    for (const port of p.ports ?? []) {
      if (port.name !== undefined) {
        if (portNames.has(port.name)) issues.push(`pod ${key}: port name "${port.name}" is used twice`)
        portNames.add(port.name)
      }
      ports.push({ name: port.name, containerPort: port.containerPort, protocol: port.protocol ?? 'TCP' })
    }
    const labels = { ...(p.labels ?? {}) }
    const endpointLabels: Record<string, string> = {}
    for (const [k, v] of Object.entries(ns?.calicoLabels ?? {})) endpointLabels[NAMESPACE_LABEL_PREFIX + k] = v
    const sa = saLabels.get(`${p.namespace}/${serviceAccount}`) ?? { [LABEL_CALICO_NAME]: serviceAccount }
    for (const [k, v] of Object.entries(sa)) endpointLabels[SERVICE_ACCOUNT_LABEL_PREFIX + k] = v
    // The endpoint's own labels win over inherited profile labels.
    Object.assign(endpointLabels, labels, {
      [LABEL_CALICO_NAMESPACE]: p.namespace,
      [LABEL_CALICO_ORCHESTRATOR]: 'k8s',
      [LABEL_CALICO_SERVICE_ACCOUNT]: serviceAccount,
    })
    const pod: Pod = { key, namespace: p.namespace, name: p.name, labels, ip: p.ip, ipNumber, serviceAccount, ports, endpointLabels }
    pods.push(pod)
    podsByKey.set(key, pod)
    podsByIp.set(ipNumber, pod)
  }

  if (issues.length > 0) throw new CaseError(issues)
  return { namespaces, pods, podsByKey, podsByIp }
}

/**
 * Builds a (Global)NetworkSet's label view. A namespaced NetworkSet is in scope of namespaceSelectors like a
 * pod in that namespace (projectcalico.org/namespace + inherited pcns.* labels); a GlobalNetworkSet has only
 * its own labels, so only rules whose scope includes non-namespaced resources (GlobalNetworkPolicy rules
 * without namespaceSelector, or namespaceSelector: global()) can select it.
 */
export function buildNetworkSet(model: ClusterModel, s: NetworkSetInput, issues: string[]): NetworkSet {
  const key = s.namespace === undefined ? s.name : `${s.namespace}/${s.name}`
  const nets: Cidr[] = []
  for (const n of s.nets) {
    const c = parseCidr(n, true)
    if (c) nets.push(c)
    else issues.push(`network set ${key}: "${n}" is not a CIDR`)
  }
  const endpointLabels: Record<string, string> = {}
  if (s.namespace !== undefined) {
    const ns = model.namespaces.get(s.namespace)
    if (!ns) issues.push(`network set ${key}: namespace "${s.namespace}" is not declared`)
    for (const [k, v] of Object.entries(ns?.calicoLabels ?? {})) endpointLabels[NAMESPACE_LABEL_PREFIX + k] = v
  }
  Object.assign(endpointLabels, s.labels ?? {})
  if (s.namespace !== undefined) endpointLabels[LABEL_CALICO_NAMESPACE] = s.namespace
  return { key, namespace: s.namespace, name: s.name, nets, endpointLabels }
}
