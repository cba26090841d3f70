// The lab as the engine sees it, derived from the YAML in manifests/: namespaces, one pod per workload
// (labels from the pod template, serviceAccountName, container ports), the policy resources, a synthetic
// CoreDNS pod, and two clients outside the cluster. Pod IPs are unknown offline, so they are assigned
// deterministically from the pod CIDR the manifests declare (Calico Installation ipPools or a workload
// IPPool), in namespace/name order.
import { manifestFilesIn, readManifestDocs } from '../manifests.ts'
import type { PolicySet } from './compiled.ts'
import {
  buildModel,
  cidrContains,
  formatIPv4,
  parseCidr,
  type Cidr,
  type ClusterModel,
  type ContainerPortInput,
  type NamespaceInput,
  type PodInput,
  type Protocol,
  type ServiceAccountInput,
} from './model.ts'
import { compilePolicies, isPolicyResource } from './policySet.ts'
import type { Probe } from './reachability.ts'

export const DEFAULT_POD_CIDR = '10.244.0.0/16' // kind's default podSubnet
export const DNS_NAMESPACE = 'kube-system'
export const DNS_POD = 'coredns'
export const DNS_LABELS = { 'k8s-app': 'kube-dns' } as const
/** Used when no policy names a source range: RFC 5737 TEST-NET-1, documented as an assumption. */
const ASSUMED_ALLOWED_RANGE = '192.0.2.0/24'
/** Candidates for the client that must be refused, in preference order (RFC 5737 documentation ranges). */
const OUTSIDE_CANDIDATES = ['203.0.113.7', '198.51.100.7', '192.0.2.7', '100.64.0.7']

export interface OutsideClients {
  /** An address inside the allowed range. */
  readonly allowed: string
  /** An address outside it. */
  readonly denied: string
  readonly range: string
  /** Where the range came from (a policy field), or the assumption made. */
  readonly rangeSource: string
}

export interface ManifestModel {
  readonly model: ClusterModel
  /** The policy resources found (Kubernetes and Calico), in file order. */
  readonly resources: readonly unknown[]
  readonly policies: PolicySet
  readonly podCidr: string
  readonly podCidrSource: string
  readonly outsideClients: OutsideClients
  /** Pods the engine added (not in the manifests): the CoreDNS stand-in. */
  readonly syntheticPods: readonly string[]
  readonly files: readonly string[]
  /** Things skipped or assumed, for the reader. */
  readonly notes: readonly string[]
}

interface K8sObject {
  readonly apiVersion?: unknown
  readonly kind?: unknown
  readonly metadata?: { readonly name?: unknown; readonly namespace?: unknown; readonly labels?: unknown }
  readonly spec?: unknown
  readonly items?: unknown
}

function labelsOf(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null) return {}
  const out: Record<string, string> = {}
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val
  return out
}

function get(o: unknown, ...path: string[]): unknown {
  let cur = o
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined
    cur = (cur as Record<string, unknown>)[p]
  }
  return cur
}

const WORKLOAD_TEMPLATE: Record<string, readonly string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
}

function podFromTemplate(namespace: string, name: string, template: unknown): PodInput & { hostNetwork: boolean } {
  const ports: ContainerPortInput[] = []
  const containers = get(template, 'spec', 'containers')
  for (const c of Array.isArray(containers) ? containers : []) {
    const list = get(c, 'ports')
    for (const p of Array.isArray(list) ? list : []) {
      const containerPort = get(p, 'containerPort')
      if (typeof containerPort !== 'number') continue
      const name = get(p, 'name')
      const protocol = get(p, 'protocol')
      ports.push({
        name: typeof name === 'string' ? name : undefined,
        containerPort,
        protocol: protocol === 'UDP' || protocol === 'SCTP' ? (protocol as Protocol) : 'TCP',
      })
    }
  }
  const sa = get(template, 'spec', 'serviceAccountName') ?? get(template, 'spec', 'serviceAccount')
  return {
    namespace,
    name,
    labels: labelsOf(get(template, 'metadata', 'labels')),
    ip: '',
    serviceAccount: typeof sa === 'string' && sa !== '' ? sa : 'default',
    ports,
    hostNetwork: get(template, 'spec', 'hostNetwork') === true,
  }
}

/** First host address of a range that is not excluded (…+10 when the range is big enough). */
function hostIn(cidr: Cidr, excluded: readonly Cidr[]): number | undefined {
  const size = 2 ** (32 - cidr.prefix)
  const start = size >= 32 ? 10 : size > 2 ? 1 : 0
  for (let off = start; off < Math.min(size, start + 4096); off++) {
    const ip = cidr.base + off
    if (!excluded.some((e) => cidrContains(e, ip))) return ip
  }
  return undefined
}

interface RangeCandidate {
  readonly cidr: Cidr
  readonly except: readonly Cidr[]
  readonly source: string
}

/** Source ranges named by ingress rules (Kubernetes ipBlock, Calico source.nets) and network sets. */
function namedSourceRanges(resources: readonly { resource: unknown; file: string }[]): RangeCandidate[] {
  const out: RangeCandidate[] = []
  for (const { resource, file } of resources) {
    const r = resource as K8sObject
    const id = `${file}: ${String(r.kind)} ${String(get(r, 'metadata', 'namespace') ?? '')}${get(r, 'metadata', 'namespace') ? '/' : ''}${String(get(r, 'metadata', 'name'))}`
    const ingress = get(r, 'spec', 'ingress')
    ;(Array.isArray(ingress) ? ingress : []).forEach((rule, i) => {
      const from = get(rule, 'from')
      ;(Array.isArray(from) ? from : []).forEach((peer, j) => {
        const cidr = parseCidr(String(get(peer, 'ipBlock', 'cidr') ?? ''))
        if (!cidr) return
        const exceptList = get(peer, 'ipBlock', 'except')
        const except = (Array.isArray(exceptList) ? exceptList : []).flatMap((e) => parseCidr(String(e)) ?? [])
        out.push({ cidr, except, source: `${id} spec.ingress[${i}].from[${j}].ipBlock` })
      })
      const nets = get(rule, 'source', 'nets')
      ;(Array.isArray(nets) ? nets : []).forEach((n, j) => {
        const cidr = parseCidr(String(n), true)
        if (cidr) out.push({ cidr, except: [], source: `${id} spec.ingress[${i}].source.nets[${j}]` })
      })
    })
    if (r.kind === 'NetworkSet' || r.kind === 'GlobalNetworkSet') {
      const nets = get(r, 'spec', 'nets')
      ;(Array.isArray(nets) ? nets : []).forEach((n, j) => {
        const cidr = parseCidr(String(n), true)
        if (cidr) out.push({ cidr, except: [], source: `${id} spec.nets[${j}]` })
      })
    }
  }
  return out.filter((c) => c.cidr.family === 4 && c.cidr.prefix > 0)
}

function podCidrOf(objects: readonly { resource: K8sObject; file: string }[]): { cidr: string; source: string } {
  for (const { resource: r, file } of objects) {
    if (r.kind === 'Installation') {
      const pools = get(r, 'spec', 'calicoNetwork', 'ipPools')
      const first = Array.isArray(pools) ? get(pools[0], 'cidr') : undefined
      if (typeof first === 'string' && parseCidr(first)) return { cidr: first, source: `${file}: Installation spec.calicoNetwork.ipPools[0].cidr` }
    }
    if (r.kind === 'IPPool' && r.apiVersion === 'projectcalico.org/v3') {
      const uses = get(r, 'spec', 'allowedUses')
      const forPods = !Array.isArray(uses) || uses.includes('Workload')
      const cidr = get(r, 'spec', 'cidr')
      if (forPods && typeof cidr === 'string' && parseCidr(cidr)) return { cidr, source: `${file}: IPPool ${String(get(r, 'metadata', 'name'))} spec.cidr` }
    }
    if (r.kind === 'Cluster' && typeof r.apiVersion === 'string' && r.apiVersion.startsWith('kind.x-k8s.io')) {
      const subnet = get(r, 'networking', 'podSubnet')
      if (typeof subnet === 'string' && parseCidr(subnet)) return { cidr: subnet, source: `${file}: kind Cluster networking.podSubnet` }
    }
  }
  return { cidr: DEFAULT_POD_CIDR, source: `assumed (kind's default podSubnet): no Installation ipPool, workload IPPool or kind config found` }
}

const IGNORED_KINDS = new Set([
  'Service', 'ConfigMap', 'Secret', 'Installation', 'APIServer', 'BGPConfiguration', 'BGPPeer', 'IPPool',
  'FelixConfiguration', 'KubeControllersConfiguration', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding',
  'Ingress', 'IngressClass', 'Gateway', 'HTTPRoute', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Cluster',
  'IPReservation', 'IPAMConfiguration', 'Kustomization',
])

/** Reads every *.yaml / *.yml under `dir` (sorted, recursive) and builds the lab model. Throws CaseError on bad policies. */
export function modelFromManifests(dir: string, options: { skip?: (path: string) => boolean } = {}): ManifestModel {
  const root = process.cwd()
  const files = manifestFilesIn(root, dir).filter((path) => !options.skip?.(path))
  const notes: string[] = []
  const objects = readManifestDocs(root, files)
    .filter((d) => typeof d.object === 'object' && d.object !== null)
    .map((d) => ({ resource: d.object as K8sObject, file: d.file }))

  const namespaces = new Map<string, NamespaceInput>()
  const ensureNamespace = (name: string, why: string): void => {
    if (!namespaces.has(name)) {
      namespaces.set(name, { name, labels: {} })
      notes.push(`namespace ${name}: not declared in the manifests, assumed to exist without extra labels (${why})`)
    }
  }
  for (const { resource: r } of objects) {
    if (r.kind === 'Namespace' && typeof r.metadata?.name === 'string') {
      namespaces.set(r.metadata.name, { name: r.metadata.name, labels: labelsOf(r.metadata.labels) })
    }
  }
  for (const builtin of ['default', DNS_NAMESPACE]) {
    if (!namespaces.has(builtin)) namespaces.set(builtin, { name: builtin, labels: {} })
  }

  const pods: (PodInput & { hostNetwork: boolean })[] = []
  const serviceAccounts: ServiceAccountInput[] = []
  const policyResources: { resource: unknown; file: string }[] = []
  for (const { resource: r, file } of objects) {
    const kind = typeof r.kind === 'string' ? r.kind : '?'
    const name = typeof r.metadata?.name === 'string' ? r.metadata.name : '?'
    const namespace = typeof r.metadata?.namespace === 'string' ? r.metadata.namespace : 'default'
    if (isPolicyResource(r)) {
      policyResources.push({ resource: r, file })
      const ns = r.metadata?.namespace
      if (typeof ns === 'string') ensureNamespace(ns, `${file}: ${kind} ${name}`)
      continue
    }
    const templatePath = WORKLOAD_TEMPLATE[kind]
    if (kind === 'Pod' && r.apiVersion === 'v1') {
      ensureNamespace(namespace, `${file}: Pod ${name}`)
      pods.push(podFromTemplate(namespace, name, r))
    } else if (templatePath) {
      ensureNamespace(namespace, `${file}: ${kind} ${name}`)
      pods.push(podFromTemplate(namespace, name, get(r, ...templatePath)))
    } else if (kind === 'ServiceAccount') {
      serviceAccounts.push({ namespace, name, labels: labelsOf(r.metadata?.labels) })
    } else if (kind === 'Namespace') {
      // handled above
    } else if (typeof r.apiVersion === 'string' && r.apiVersion.startsWith('crd.projectcalico.org')) {
      notes.push(`${file}: ${kind} ${name} skipped: crd.projectcalico.org/v1 is Calico's storage API; write projectcalico.org/v3`)
    } else if (/Policy$/.test(kind) || (typeof r.apiVersion === 'string' && r.apiVersion.startsWith('policy.networking.k8s.io'))) {
      notes.push(`${file}: ${String(r.apiVersion)} ${kind} ${name} is NOT modelled by the engine: verdicts ignore it`)
    } else if (!IGNORED_KINDS.has(kind)) {
      notes.push(`${file}: ${String(r.apiVersion)} ${kind} ${name} has no effect on the engine (not modelled)`)
    }
  }
  for (const p of pods.filter((p) => p.hostNetwork)) notes.push(`pod ${p.namespace}/${p.name} uses hostNetwork: not a workload endpoint, left out`)

  const syntheticPods: string[] = []
  const workloads = pods.filter((p) => !p.hostNetwork)
  const hasDns = workloads.some((p) => p.namespace === DNS_NAMESPACE && p.labels?.['k8s-app'] === DNS_LABELS['k8s-app'])
  if (!hasDns) {
    workloads.push({
      namespace: DNS_NAMESPACE, name: DNS_POD, labels: { ...DNS_LABELS }, ip: '', serviceAccount: 'coredns', hostNetwork: false,
      ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
        { name: 'metrics', containerPort: 9153, protocol: 'TCP' }],
    })
    syntheticPods.push(`${DNS_NAMESPACE}/${DNS_POD}`)
    notes.push(`pod ${DNS_NAMESPACE}/${DNS_POD} (k8s-app=kube-dns, 53/UDP, 53/TCP) is a stand-in for the cluster's CoreDNS`)
  }

  const podCidr = podCidrOf(objects)
  const cidr = parseCidr(podCidr.cidr) as Cidr
  workloads.sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1))
  const withIps = workloads.map((p, i) => ({ ...p, ip: formatIPv4(cidr.base + 10 + i) }))

  const model = buildModel({ namespaces: [...namespaces.values()], pods: withIps, serviceAccounts })
  const resources = policyResources.map((p) => p.resource)
  const policies = compilePolicies(resources, model, { field: 'manifests' })

  const ranges = namedSourceRanges(policyResources).filter((c) => !cidrContains(cidr, c.cidr.base))
  let outsideClients: OutsideClients
  const chosen = ranges[0]
  const rangeCidrs = [cidr, ...ranges.map((r) => r.cidr)]
  const pickDenied = (allowedRange: Cidr): string => {
    const size = 2 ** (32 - allowedRange.prefix)
    const neighbour = allowedRange.base >= size ? formatIPv4(allowedRange.base - size + 10) : undefined
    const candidates = [...(neighbour && allowedRange.prefix >= 8 ? [neighbour] : []), ...OUTSIDE_CANDIDATES]
    return candidates.find((c) => {
      const ip = parseCidr(c, true) as Cidr
      return !rangeCidrs.some((r) => cidrContains(r, ip.base))
    }) ?? '203.0.113.7'
  }
  const allowedIp = chosen ? hostIn(chosen.cidr, chosen.except) : undefined
  if (chosen && allowedIp !== undefined) {
    outsideClients = { allowed: formatIPv4(allowedIp), denied: pickDenied(chosen.cidr), range: chosen.cidr.text, rangeSource: chosen.source }
    if (ranges.length > 1) notes.push(`source ranges named by policies: ${ranges.map((r) => r.cidr.text).join(', ')}; the first is used as "allowed"`)
  } else {
    const assumed = parseCidr(ASSUMED_ALLOWED_RANGE) as Cidr
    outsideClients = {
      allowed: formatIPv4(assumed.base + 10), denied: pickDenied(assumed), range: ASSUMED_ALLOWED_RANGE,
      rangeSource: `assumed: no policy names a source range (ipBlock / nets / network set), ${ASSUMED_ALLOWED_RANGE} used`,
    }
  }
  return {
    model, resources, policies, podCidr: podCidr.cidr, podCidrSource: podCidr.source, outsideClients,
    syntheticPods, files, notes,
  }
}

export interface LabMatrix {
  readonly probes: readonly Probe[]
  /** Row order for the truth tables: pods, then the outside clients. */
  readonly sources: readonly string[]
  readonly destinations: readonly string[]
}

/**
 * The lab's matrix: every source (each pod but the CoreDNS stand-in, and both outside clients) to every pod
 * on `port`/TCP (default 9080), and every pod but CoreDNS to each kube-dns pod on 53/UDP and 53/TCP.
 */
export function labMatrix(m: ManifestModel, port = 9080): LabMatrix {
  const dns = m.model.pods.filter((p) => p.namespace === DNS_NAMESPACE && p.labels['k8s-app'] === DNS_LABELS['k8s-app'])
  const clients = m.model.pods.filter((p) => !dns.includes(p))
  const sources = [...clients.map((p) => p.key), m.outsideClients.allowed, m.outsideClients.denied]
  const destinations = m.model.pods.map((p) => p.key)
  const probes: Probe[] = []
  for (const from of sources) for (const to of destinations) probes.push({ from, to, port, protocol: 'TCP' })
  for (const protocol of ['UDP', 'TCP'] as const) {
    for (const c of clients) for (const d of dns) probes.push({ from: c.key, to: d.key, port: 53, protocol })
  }
  return { probes, sources, destinations }
}
