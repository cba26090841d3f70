// The lab's Services as the API server holds them once applied, their EndpointSlices as the EndpointSlice controller
// writes them for the lab's pods, and Calico's default FelixConfiguration — what the probe matrix reads to aim its
// probes (a Service's ClusterIP) and to judge them (ready endpoints, Felix's deny action). Test data only.
//
// The Services are the repository's own (manifests/30-bookinfo.yaml, manifests/40-productpage-lb.yaml) plus kube-dns
// as kubeadm creates it, with ClusterIPs from the lab's service range (198.19.32.0/20, README's address plan; kube-dns
// at its tenth address, as kubeadm places it) and the LoadBalancer's address in its status, as Calico's LB IPAM sets it.
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { readManifests, REPO_ROOT } from '../../demo-server/src/manifests.ts'

/** Service name → ClusterIP (namespace dev1, but kube-dns in kube-system). */
export const LAB_CLUSTER_IPS: Readonly<Record<string, string>> = {
  productpage: '198.19.34.17',
  details: '198.19.40.113',
  reviews: '198.19.38.205',
  ratings: '198.19.35.62',
  'productpage-lb': '198.19.44.9',
  'kube-dns': '198.19.32.10',
}

/** The Service whose ClusterIP is `ip` (what a probe aimed at), or undefined. */
export function serviceAt(ip: string): string | undefined {
  return Object.entries(LAB_CLUSTER_IPS).find(([, at]) => at === ip)?.[0]
}

interface PodLike {
  kind?: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  spec?: { nodeName?: string }
  status?: { phase?: string; podIP?: string }
}

interface ServiceLike {
  apiVersion: string
  kind: 'Service'
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  spec: { type?: string; selector?: Record<string, string>; ports: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string }>; clusterIP?: string; [k: string]: unknown }
  status?: object
}

const kubeDns: ServiceLike = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' }, annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' } },
  spec: {
    selector: { 'k8s-app': 'kube-dns' },
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
    ],
  },
}

/** The lab's Services with their ClusterIPs (and the LoadBalancer's address). */
export function labServiceObjects(): ServiceLike[] {
  const fromRepo = readManifests(REPO_ROOT, ['manifests/30-bookinfo.yaml', 'manifests/40-productpage-lb.yaml']).filter((o) => o.kind === 'Service') as unknown as ServiceLike[]
  return [...fromRepo, kubeDns].map((svc) => {
    const ip = LAB_CLUSTER_IPS[svc.metadata.name]
    if (!ip) throw new Error(`labServices: no ClusterIP planned for Service ${svc.metadata.name}`)
    const lb = svc.spec.type === 'LoadBalancer'
    return { ...svc, spec: { ...svc.spec, clusterIP: ip, clusterIPs: [ip] }, ...(lb ? { status: { loadBalancer: { ingress: [{ ip: LAB.lbIp, ipMode: 'VIP' }] } } } : {}) }
  })
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v)

/**
 * An EndpointSlice per Service, as the EndpointSlice controller writes it: the Running pods its selector matches, ready
 * unless `notReady` names the Service (bookinfo has no readiness probes, but a pod can still be unready or gone).
 */
export function endpointSliceFor(svc: ServiceLike, pods: readonly PodLike[], notReady = false): object {
  const backends = pods.filter((p) => p.kind === 'Pod' && p.metadata.namespace === svc.metadata.namespace && p.status?.phase === 'Running' && p.status.podIP && matches(svc.spec.selector, p.metadata.labels))
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc.metadata.name}-${Buffer.from(svc.metadata.name).toString('hex').slice(0, 5)}`,
      namespace: svc.metadata.namespace,
      labels: { ...svc.metadata.labels, 'kubernetes.io/service-name': svc.metadata.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-11-22T00:00:00Z' },
    },
    addressType: 'IPv4',
    endpoints: backends.map((p) => ({
      addresses: [p.status!.podIP!],
      conditions: { ready: !notReady, serving: !notReady, terminating: false },
      nodeName: p.spec?.nodeName,
      targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name },
    })),
    ports: svc.spec.ports.map((port) => ({ name: port.name ?? '', port: typeof port.targetPort === 'number' ? port.targetPort : port.port, protocol: port.protocol ?? 'TCP' })),
  }
}

/**
 * Calico's `default` FelixConfiguration (projectcalico.org/v3) as the operator leaves it — no deny action set, so
 * Felix drops — or with `iptablesFilterDenyAction` set.
 */
export function felixConfiguration(denyAction?: 'Drop' | 'Reject'): object {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'FelixConfiguration',
    metadata: { name: 'default' },
    spec: { bpfLogLevel: '', floatingIPs: 'Disabled', healthPort: 9099, logSeverityScreen: 'Info', reportingInterval: '0s', ...(denyAction ? { iptablesFilterDenyAction: denyAction } : {}) },
  }
}

/** Services, their EndpointSlices (every backend ready) and the FelixConfiguration, for the lab's pods. */
export function labNetworkObjects(pods: readonly object[]): object[] {
  const services = labServiceObjects()
  return [...services, ...services.map((svc) => endpointSliceFor(svc, pods as PodLike[])), felixConfiguration()]
}
