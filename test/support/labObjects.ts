// Objects the fake API server starts with in tests: the lab's three nodes and a few dev1 pods.
// Test data only — never shown to an audience.
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

function pod(name: string, app: string, ip: string, nodeName: string, container = app) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'dev1', creationTimestamp: created, labels: { app, version: 'v1' } },
    spec: { nodeName, containers: [{ name: container, image: `docker.io/istio/examples-bookinfo-${app}-v1:1.20.2` }] },
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

export function labObjects(): object[] {
  return [
    node('control', '198.19.0.1', 'control-plane'),
    node('node1', '198.19.0.2'),
    node('node2', '198.19.0.3'),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev1', labels: { 'kubernetes.io/metadata.name': 'dev1' } } },
    pod('ratings-v1-64d59779-zrb6p', 'ratings', '10.48.0.66', 'node1'),
    deployment('details-v1', 'details'),
    pod('productpage-v1-bcc6748f7-dh26s', 'productpage', '10.48.0.130', 'node2'),
  ]
}
