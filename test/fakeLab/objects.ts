// The whole lab as the fake API server holds it once `npm run cluster:kind` has finished: the lab's own manifests
// (namespaces, bookinfo, the alpine pods, the LoadBalancer Service, the LoadBalancer IP pool) as applied, plus what
// Kubernetes, the Tigera operator and Calico would have made of them — Ready nodes, Running pods with addresses from
// the pod pool, ClusterIPs, the LoadBalancer address, EndpointSlices, IPAM blocks, tigerastatus, calico-node, and the
// flow-log components the Installation enables (Goldmane, Whisker: its Service and pod as test/fakeWhisker has them).
// Test data for the fake lab only — never shown to an audience as a cluster's.
import { createHash } from 'node:crypto'
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { readManifests, REPO_ROOT } from '../../demo-server/src/manifests.ts'
import type { ManifestObject } from '../../demo-server/src/manifests.ts'
import { whiskerObjects } from '../fakeWhisker/objects.ts'

const created = '2026-11-21T08:00:00Z'

/** kind's node names, their addresses on the calico-lab Docker network and their /26 of the pod pool. */
export const FAKE_NODES = [
  { name: 'calico-lab-control-plane', ip: '198.19.0.2', block: '198.19.16.0/26', firstPod: 2, role: 'control-plane' },
  { name: 'calico-lab-worker', ip: '198.19.0.3', block: '198.19.16.64/26', firstPod: 66, role: undefined },
  { name: 'calico-lab-worker2', ip: '198.19.0.4', block: '198.19.16.128/26', firstPod: 130, role: undefined },
] as const
type NodeName = (typeof FAKE_NODES)[number]['name']

/** Where each workload of the lab runs (the scheduler's choice, fixed here). */
const PLACEMENT: Record<string, NodeName> = {
  'productpage-v1': 'calico-lab-worker2',
  'details-v1': 'calico-lab-worker',
  'ratings-v1': 'calico-lab-worker',
  'reviews-v1': 'calico-lab-worker',
  'reviews-v2': 'calico-lab-worker2',
  'reviews-v3': 'calico-lab-worker',
  'dev1/alpine': 'calico-lab-worker',
  'default/alpine': 'calico-lab-worker2',
  coredns: 'calico-lab-control-plane',
}

/** A name suffix the way the ReplicaSet and pod controllers make them, stable per input. */
const suffix = (seed: string, length: number) => createHash('sha256').update(seed).digest('hex').replace(/[^a-z0-9]/g, '').slice(0, length)

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> & { name: string; namespace?: string } }

const ready = { conditions: [{ type: 'Ready', status: 'True' }] }

function node(n: (typeof FAKE_NODES)[number]): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, creationTimestamp: created, labels: { 'kubernetes.io/hostname': n.name, ...(n.role ? { [`node-role.kubernetes.io/${n.role}`]: '' } : {}) } },
    spec: { podCIDR: n.block },
    status: {
      ...ready,
      addresses: [{ type: 'InternalIP', address: n.ip }, { type: 'Hostname', address: n.name }],
      nodeInfo: { kubeletVersion: 'v1.35.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.8.0-45-generic', containerRuntimeVersion: 'containerd://2.1.4' },
    },
  }
}

/** Hands out pod addresses from each node's block, in order. */
function addresses() {
  const next = new Map<string, number>(FAKE_NODES.map((n) => [n.name, n.firstPod]))
  return (nodeName: NodeName): string => {
    const host = next.get(nodeName)!
    next.set(nodeName, host + 1)
    return `198.19.16.${host}`
  }
}

interface PodSpecLike { containers?: Array<{ name: string; image?: string; ports?: unknown[] }>; [k: string]: unknown }

function runningPod(namespace: string, name: string, labels: Record<string, string>, spec: PodSpecLike, nodeName: NodeName, ip: string, extra: Record<string, unknown> = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, creationTimestamp: created, labels, ...extra },
    spec: { ...spec, nodeName },
    status: {
      phase: 'Running',
      podIP: ip,
      hostIP: FAKE_NODES.find((n) => n.name === nodeName)!.ip,
      ...ready,
      containerStatuses: (spec.containers ?? []).map((c) => ({ name: c.name, ready: true, restartCount: 0, image: c.image ?? '', imageID: '', state: { running: { startedAt: created } } })),
    },
  }
}

/** The Deployment as applied, rolled out: its ReplicaSet and its one pod. */
function rolledOut(d: ManifestObject, ip: (n: NodeName) => string): Obj[] {
  const name = d.metadata.name
  const template = (d as unknown as { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpecLike } } }).spec.template
  const rs = `${name}-${suffix(name, 9)}`
  const nodeName = PLACEMENT[name] ?? 'calico-lab-worker'
  const complete = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }
  return [
    { ...(d as unknown as Obj), metadata: { ...d.metadata, creationTimestamp: created, generation: 1 }, status: complete },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: rs, namespace: d.metadata.namespace, creationTimestamp: created, labels: template.metadata.labels },
      spec: { replicas: 1, selector: { matchLabels: template.metadata.labels }, template },
      status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
    },
    // a ReplicaSet's pod: its generateName is what Calico's flow logs name it by (generateName + "*")
    runningPod(String(d.metadata.namespace), `${rs}-${suffix(`${rs}/pod`, 5)}`, template.metadata.labels, template.spec, nodeName, ip(nodeName), { generateName: `${rs}-` }),
  ]
}

/** A Service as applied, with the ClusterIP (and LoadBalancer address) the cluster gave it. */
function allocated(s: ManifestObject, clusterIp: string): Obj {
  const obj = s as unknown as Obj & { spec: Record<string, unknown> }
  const lb = obj.spec.type === 'LoadBalancer'
  return {
    ...obj,
    metadata: { ...obj.metadata, creationTimestamp: created },
    spec: { type: 'ClusterIP', ...obj.spec, clusterIP: clusterIp, clusterIPs: [clusterIp] },
    status: lb ? { loadBalancer: { ingress: [{ ip: LAB.lbIp, ipMode: 'VIP' }] } } : { loadBalancer: {} },
  }
}

interface ServiceLike { metadata: { name: string; namespace?: string }; spec: { selector?: Record<string, string>; ports?: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string }> } }
interface PodLike { metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec: { nodeName?: string }; status: { podIP?: string } }

/** discovery.k8s.io EndpointSlices for a Service: its selected pods, ready. */
function endpointSlice(svc: ServiceLike, pods: PodLike[]): Obj {
  const selector = svc.spec.selector ?? {}
  const backends = pods.filter((p) => p.metadata.namespace === svc.metadata.namespace && Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v))
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc.metadata.name}-${suffix(svc.metadata.name, 5)}`, namespace: svc.metadata.namespace, labels: { 'kubernetes.io/service-name': svc.metadata.name }, creationTimestamp: created },
    addressType: 'IPv4',
    endpoints: backends.map((p) => ({ addresses: [p.status.podIP], conditions: { ready: true, serving: true, terminating: false }, nodeName: p.spec.nodeName, targetRef: { kind: 'Pod', name: p.metadata.name, namespace: p.metadata.namespace } })),
    ports: (svc.spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: typeof p.targetPort === 'number' ? p.targetPort : p.port, protocol: p.protocol ?? 'TCP' })),
  }
}

const tigerastatus = (name: string): Obj => ({
  apiVersion: 'operator.tigera.io/v1',
  kind: 'TigeraStatus',
  metadata: { name, creationTimestamp: created },
  spec: {},
  status: { conditions: [{ type: 'Available', status: 'True', reason: 'AllObjectsAvailable', message: 'All objects are available' }, { type: 'Progressing', status: 'False' }, { type: 'Degraded', status: 'False' }] },
})

/** calico-system as the operator runs it: calico-node on every node (host network), Typha, kube-controllers. */
function calicoSystem(): Obj[] {
  const nodePodSpec: PodSpecLike = { hostNetwork: true, containers: [{ name: 'calico-node', image: 'quay.io/calico/node:v3.31.7' }] }
  const selector = { 'k8s-app': 'calico-node' }
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'calico-node', namespace: 'calico-system', creationTimestamp: created, generation: 1 },
      spec: { selector: { matchLabels: selector }, template: { metadata: { labels: selector }, spec: nodePodSpec } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberAvailable: 3, updatedNumberScheduled: 3, observedGeneration: 1 },
    },
    ...FAKE_NODES.map((n) => runningPod('calico-system', `calico-node-${suffix(n.name, 5)}`, selector, nodePodSpec, n.name, n.ip)),
    runningPod('calico-system', `calico-typha-${suffix('typha', 9)}-${suffix('typha/pod', 5)}`, { 'k8s-app': 'calico-typha' }, { hostNetwork: true, containers: [{ name: 'calico-typha', image: 'quay.io/calico/typha:v3.31.7' }] }, 'calico-lab-worker', '198.19.0.3'),
    runningPod('calico-system', `calico-kube-controllers-${suffix('kc', 9)}-${suffix('kc/pod', 5)}`, { 'k8s-app': 'calico-kube-controllers' }, { containers: [{ name: 'calico-kube-controllers', image: 'quay.io/calico/kube-controllers:v3.31.7' }] }, 'calico-lab-control-plane', '198.19.16.3'),
    runningPod('calico-system', `goldmane-${suffix('goldmane', 9)}-${suffix('goldmane/pod', 5)}`, { 'k8s-app': 'goldmane' }, { containers: [{ name: 'goldmane', image: 'quay.io/calico/goldmane:v3.31.7' }] }, 'calico-lab-worker2', '198.19.16.140'),
    // the whisker Service and pod as the fake whisker's port-forward answers them, on one of the lab's nodes
    ...(whiskerObjects() as Obj[]).map((o) => (o.kind === 'Pod' ? { ...o, spec: { ...(o.spec as object), nodeName: 'calico-lab-worker' }, status: { ...(o.status as object), hostIP: '198.19.0.3', podIP: '198.19.16.90' } } : o)),
  ]
}

/** Calico IPAM: the pod pool (the Installation's), the LoadBalancer pool (its manifest), a block per node. */
function ipam(lbPool: ManifestObject): Obj[] {
  return [
    {
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool', creationTimestamp: created },
      spec: { cidr: '198.19.16.0/21', blockSize: 26, ipipMode: 'CrossSubnet', vxlanMode: 'Never', natOutgoing: true, nodeSelector: 'all()', allowedUses: ['Workload', 'Tunnel'] },
    },
    { ...(lbPool as unknown as Obj), metadata: { ...lbPool.metadata, creationTimestamp: created } },
    ...FAKE_NODES.flatMap((n): Obj[] => {
      const name = n.block.replace(/[./]/g, '-')
      return [
        { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPAMBlock', metadata: { name, creationTimestamp: created }, spec: { cidr: n.block, affinity: `host:${n.name}`, allocations: [], unallocated: [], attributes: [] } },
        { apiVersion: 'crd.projectcalico.org/v1', kind: 'BlockAffinity', metadata: { name: `${n.name}-${name}`, creationTimestamp: created }, spec: { node: n.name, cidr: n.block, state: 'confirmed', deleted: 'false' } },
      ]
    }),
    { apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default', creationTimestamp: created }, spec: { bpfEnabled: false } },
  ]
}

/** Every object of the fake lab at the open baseline (no policy step applied). */
export function fakeLabObjects(): object[] {
  const ip = addresses()
  const lab = readManifests(REPO_ROOT, ['manifests/00-namespaces.yaml', 'manifests/30-bookinfo.yaml', 'manifests/31-alpine.yaml', 'manifests/40-productpage-lb.yaml', 'manifests/41-allowed-range-networkset.yaml'])
  const [lbPool] = readManifests(REPO_ROOT, ['manifests/21-calico-lb-ippool.yaml'])
  const objects: Obj[] = [...FAKE_NODES.map(node)]
  let serviceHost = 20
  for (const o of lab) {
    if (o.kind === 'Deployment') objects.push(...rolledOut(o, ip))
    else if (o.kind === 'Service') objects.push(allocated(o, `198.19.32.${serviceHost++}`))
    else if (o.kind === 'Pod') {
      const spec = (o as unknown as { spec: PodSpecLike }).spec
      const where = PLACEMENT[`${o.metadata.namespace}/${o.metadata.name}`] ?? 'calico-lab-worker'
      objects.push(runningPod(String(o.metadata.namespace), o.metadata.name, (o.metadata.labels ?? {}) as Record<string, string>, spec, where, ip(where)))
    } else objects.push({ ...(o as unknown as Obj), metadata: { ...o.metadata, creationTimestamp: created } })
  }
  const dnsSpec: PodSpecLike = { containers: [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.12.1', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }] }] }
  objects.push(
    runningPod('kube-system', `coredns-${suffix('coredns', 10)}-${suffix('coredns/pod', 5)}`, { 'k8s-app': 'kube-dns' }, dnsSpec, 'calico-lab-control-plane', ip('calico-lab-control-plane')),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', creationTimestamp: created, labels: { 'k8s-app': 'kube-dns' } },
      spec: { type: 'ClusterIP', selector: { 'k8s-app': 'kube-dns' }, clusterIP: '198.19.32.10', clusterIPs: ['198.19.32.10'], ports: [{ name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' }] },
      status: { loadBalancer: {} },
    },
    ...['apiserver', 'calico', 'goldmane', 'ippools', 'whisker'].map(tigerastatus),
    ...calicoSystem(),
    ...ipam(lbPool!),
  )
  const pods = objects.filter((o) => o.kind === 'Pod') as unknown as PodLike[]
  for (const svc of objects.filter((o) => o.kind === 'Service') as unknown as ServiceLike[]) objects.push(endpointSlice(svc, pods))
  return objects
}
