// Objects the fake API server starts with in tests: the lab's three nodes, the bookinfo and alpine pods, the
// Deployments exec steps and the rollout name, CoreDNS; and the Services, EndpointSlices and FelixConfiguration the
// probe matrix reads (labServices.ts).
// Test data only — never shown to an audience.
import { labNetworkObjects } from './labServices.ts'

const created = '2026-11-22T00:00:00Z'

function node(name: string, ip: string, role?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, creationTimestamp: created, labels: { 'kubernetes.io/hostname': name, ...(role ? { [`node-role.kubernetes.io/${role}`]: '' } : {}) } },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }],
      nodeInfo: { kubeletVersion: 'v1.34.1', osImage: 'Ubuntu 24.04.1 LTS', kernelVersion: '6.8.0-45-generic', containerRuntimeVersion: 'containerd://1.7.22' },
    },
  }
}

/** A ReplicaSet's pod is named generateName + 5 characters; Calico's flow logs name it generateName + "*". */
const generateName = (name: string): string => name.replace(/[a-z0-9]{5}$/, '')

function pod(name: string, app: string, ip: string, nodeName: string, container = app, version = 'v1') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, generateName: generateName(name), namespace: 'dev1', creationTimestamp: created, labels: { app, version } },
    spec: {
      nodeName,
      serviceAccountName: `bookinfo-${app}`,
      containers: [{ name: container, image: `docker.io/istio/examples-bookinfo-${app}-${version}:1.20.2`, ports: [{ containerPort: 9080, protocol: 'TCP' }] }],
    },
    status: { phase: 'Running', podIP: ip, containerStatuses: [{ name: container, ready: true, restartCount: 0, image: '', imageID: '' }] },
  }
}

/** A Deployment whose rollout has not completed yet (updatedReplicas 0): tests complete it with upsert. */
export function deployment(name: string, app: string, complete = false) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'dev1', creationTimestamp: created, generation: 2 },
    spec: { replicas: 1, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: app, image: `docker.io/istio/examples-bookinfo-${app}-v1:1.20.3` }] } } },
    status: complete ? { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 } : { observedGeneration: 2, replicas: 2, updatedReplicas: 0, readyReplicas: 1, availableReplicas: 1 },
  }
}

/** A pod that is not bookinfo: the alpine test pods, CoreDNS. */
function plainPod(namespace: string, name: string, labels: Record<string, string>, ip: string, nodeName: string, container: string, image: string, ports: object[] = [], fromReplicaSet = false) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, creationTimestamp: created, labels, ...(fromReplicaSet ? { generateName: generateName(name) } : {}) },
    spec: { nodeName, containers: [{ name: container, image, ports }] },
    status: { phase: 'Running', podIP: ip, containerStatuses: [{ name: container, ready: true, restartCount: 0, image: '', imageID: '' }] },
  }
}

export function labObjects(): object[] {
  const objects = [
    node('control', '198.19.0.1', 'control-plane'),
    node('node1', '198.19.0.2'),
    node('node2', '198.19.0.3'),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev1', labels: { 'kubernetes.io/metadata.name': 'dev1' } } },
    pod('ratings-v1-64d59779-zrb6p', 'ratings', '10.48.0.66', 'node1'),
    deployment('details-v1', 'details'),
    // `kubectl exec deploy/ratings-v1` reads it for its selector
    deployment('ratings-v1', 'ratings', true),
    pod('productpage-v1-bcc6748f7-dh26s', 'productpage', '10.48.0.130', 'node2'),
    // the rest of the lab, for the reachability matrix
    pod('details-v1-766844796b-9wq5x', 'details', '10.48.0.67', 'node1'),
    pod('reviews-v1-5c4d6c8d8c-4kq2m', 'reviews', '10.48.0.131', 'node2', 'reviews', 'v1'),
    pod('reviews-v2-7b8c9d5f6-hx7tz', 'reviews', '10.48.0.68', 'node1', 'reviews', 'v2'),
    pod('reviews-v3-6f9d8c7b5-p2lwn', 'reviews', '10.48.0.132', 'node2', 'reviews', 'v3'),
    plainPod('dev1', 'alpine', { app: 'alpine' }, '10.48.0.69', 'node1', 'alpine', 'docker.io/library/alpine:3.22'),
    plainPod('default', 'alpine', { app: 'alpine' }, '10.48.0.133', 'node2', 'alpine', 'docker.io/library/alpine:3.22'),
    plainPod('kube-system', 'coredns-66bc5c9577-7xk2p', { 'k8s-app': 'kube-dns' }, '10.48.0.2', 'control', 'coredns', 'registry.k8s.io/coredns/coredns:v1.12.1', [
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
    ], true),
  ]
  return [...objects, ...labNetworkObjects(objects)]
}
