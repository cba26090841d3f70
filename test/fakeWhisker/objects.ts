// The objects the operator renders for Whisker, as the fake API server holds them: Service calico-system/whisker
// (port 8081, selector k8s-app=whisker: tigera/operator v1.40.15 pkg/render/whisker/component.go:182-195) and one
// Ready pod of the whisker Deployment (containers whisker + whisker-backend, component.go:159-214). Test data only.
export const WHISKER_POD = 'whisker-6b7c9d8f55-q2x7m'

export function whiskerService(): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'whisker', namespace: 'calico-system' },
    spec: { selector: { 'k8s-app': 'whisker' }, ports: [{ port: 8081, protocol: 'TCP', targetPort: 8081 }], type: 'ClusterIP', clusterIP: '198.19.33.17' },
  }
}

export function whiskerPod(name = WHISKER_POD, ready = true): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'calico-system', generateName: 'whisker-6b7c9d8f55-', labels: { 'k8s-app': 'whisker', 'app.kubernetes.io/name': 'whisker' } },
    spec: {
      nodeName: 'node1',
      serviceAccountName: 'whisker',
      containers: [
        { name: 'whisker', image: 'quay.io/calico/whisker:v3.31.7' },
        { name: 'whisker-backend', image: 'quay.io/calico/whisker-backend:v3.31.7', env: [{ name: 'PORT', value: '3002' }] },
      ],
    },
    status: {
      phase: 'Running',
      podIP: '198.19.17.40',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [
        { name: 'whisker', ready, restartCount: 0, image: '', imageID: '' },
        { name: 'whisker-backend', ready, restartCount: 0, image: '', imageID: '' },
      ],
    },
  }
}

export const whiskerObjects = (): object[] => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'calico-system', labels: { 'kubernetes.io/metadata.name': 'calico-system' } } },
  whiskerService(),
  whiskerPod(),
]
