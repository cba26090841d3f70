// The API resources the fake server knows, and the discovery documents built from them.
// Shapes follow /api, /api/v1, /apis and /apis/{group}/{version} of a real API server (legacy, non-aggregated discovery).

export interface ResourceDef {
  group: string // '' for the core group
  version: string
  name: string // plural, e.g. 'pods'
  singularName: string
  kind: string
  namespaced: boolean
  shortNames?: string[]
  /** Subresources listed in discovery, e.g. { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] } */
  subresources?: Array<{ name: string; kind: string; verbs: string[]; group?: string; version?: string }>
  /**
   * Built-in (typed) lists omit apiVersion/kind on each item, as the real API server does for compiled-in types;
   * CRD-backed lists keep them.
   */
  typedList: boolean
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const STATUS_SUB = { name: 'status', verbs: ['get', 'patch', 'update'] }

interface Short {
  name: string
  kind: string
  namespaced: boolean
  shortNames?: string[]
  status?: boolean
  extraSub?: ResourceDef['subresources']
}

function group(groupName: string, version: string, typedList: boolean, list: Short[]): ResourceDef[] {
  return list.map((r) => ({
    group: groupName,
    version,
    name: r.name,
    singularName: r.kind.toLowerCase(),
    kind: r.kind,
    namespaced: r.namespaced,
    shortNames: r.shortNames,
    subresources: [...(r.status ? [{ ...STATUS_SUB, kind: r.kind }] : []), ...(r.extraSub ?? [])],
    typedList,
  }))
}

export const RESOURCES: ResourceDef[] = [
  ...group('', 'v1', true, [
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
    { name: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] },
    { name: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] },
    { name: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], status: true },
    { name: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], status: true },
    {
      name: 'pods',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      status: true,
      extraSub: [
        { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
        { name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
        { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
        { name: 'log', kind: 'Pod', verbs: ['get'] },
        { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      ],
    },
    { name: 'secrets', kind: 'Secret', namespaced: true },
    { name: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] },
    { name: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], status: true },
  ]),
  ...group('apps', 'v1', true, [
    {
      name: 'deployments',
      kind: 'Deployment',
      namespaced: true,
      shortNames: ['deploy'],
      status: true,
      extraSub: [{ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] }],
    },
    { name: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], status: true },
    { name: 'daemonsets', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], status: true },
    { name: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], status: true },
  ]),
  ...group('discovery.k8s.io', 'v1', true, [{ name: 'endpointslices', kind: 'EndpointSlice', namespaced: true }]),
  ...group('networking.k8s.io', 'v1', true, [
    { name: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'] },
    { name: 'ingresses', kind: 'Ingress', namespaced: true, shortNames: ['ing'], status: true },
  ]),
  // Calico API server (aggregated). Lists keep item kinds (we do not claim to know its exact encoding).
  ...group('projectcalico.org', 'v3', false, [
    { name: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, shortNames: ['cnp', 'caliconetworkpolicy', 'caliconetworkpolicies'] },
    { name: 'globalnetworkpolicies', kind: 'GlobalNetworkPolicy', namespaced: false, shortNames: ['gnp', 'cgnp', 'calicoglobalnetworkpolicies'] },
    { name: 'stagednetworkpolicies', kind: 'StagedNetworkPolicy', namespaced: true },
    { name: 'stagedglobalnetworkpolicies', kind: 'StagedGlobalNetworkPolicy', namespaced: false },
    { name: 'stagedkubernetesnetworkpolicies', kind: 'StagedKubernetesNetworkPolicy', namespaced: true },
    { name: 'tiers', kind: 'Tier', namespaced: false },
    { name: 'ippools', kind: 'IPPool', namespaced: false },
    { name: 'networksets', kind: 'NetworkSet', namespaced: true, shortNames: ['netsets'] },
    { name: 'globalnetworksets', kind: 'GlobalNetworkSet', namespaced: false },
    { name: 'hostendpoints', kind: 'HostEndpoint', namespaced: false, shortNames: ['hep', 'heps'] },
    { name: 'felixconfigurations', kind: 'FelixConfiguration', namespaced: false, shortNames: ['felixconfig', 'felixconfigs'] },
    { name: 'bgpconfigurations', kind: 'BGPConfiguration', namespaced: false, shortNames: ['bgpconfig', 'bgpconfigs'] },
    { name: 'bgppeers', kind: 'BGPPeer', namespaced: false },
    { name: 'clusterinformations', kind: 'ClusterInformation', namespaced: false, shortNames: ['clusterinfo'] },
    // calico-node writes status with a plain update (node/pkg/status/reporter.go): no status subresource, as the
    // CRD (crd.projectcalico.org_caliconodestatuses.yaml) and the API server's registry have none
    { name: 'caliconodestatuses', kind: 'CalicoNodeStatus', namespaced: false, shortNames: ['caliconodestatus'] },
  ]),
  // Calico CRDs (what the v3 API server stores underneath; here an independent store).
  ...group('crd.projectcalico.org', 'v1', false, [
    { name: 'ipamblocks', kind: 'IPAMBlock', namespaced: false },
    { name: 'blockaffinities', kind: 'BlockAffinity', namespaced: false },
    { name: 'ipamhandles', kind: 'IPAMHandle', namespaced: false },
    { name: 'ippools', kind: 'IPPool', namespaced: false },
    { name: 'felixconfigurations', kind: 'FelixConfiguration', namespaced: false },
    { name: 'clusterinformations', kind: 'ClusterInformation', namespaced: false },
  ]),
  ...group('operator.tigera.io', 'v1', false, [
    { name: 'installations', kind: 'Installation', namespaced: false, status: true },
    { name: 'apiservers', kind: 'APIServer', namespaced: false, status: true },
    { name: 'tigerastatuses', kind: 'TigeraStatus', namespaced: false, status: true },
    { name: 'goldmanes', kind: 'Goldmane', namespaced: false, status: true },
    { name: 'whiskers', kind: 'Whisker', namespaced: false, status: true },
  ]),
]

export const apiVersionOf = (r: ResourceDef): string => (r.group ? `${r.group}/${r.version}` : r.version)

/** Unique key of a resource type, e.g. 'pods' or 'networkpolicies.projectcalico.org'. */
export const groupResource = (r: ResourceDef): string => (r.group ? `${r.name}.${r.group}` : r.name)

export function findByPath(groupName: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === groupName && r.version === version && r.name === plural)
}

export function findByKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind)
}

function groupNames(): string[] {
  return [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))]
}

function versionsOf(groupName: string): string[] {
  return [...new Set(RESOURCES.filter((r) => r.group === groupName).map((r) => r.version))]
}

export function hasGroupVersion(groupName: string, version: string): boolean {
  return RESOURCES.some((r) => r.group === groupName && r.version === version)
}

export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] }
}

function apiGroup(groupName: string): object {
  const versions = versionsOf(groupName).map((v) => ({ groupVersion: `${groupName}/${v}`, version: v }))
  return { name: groupName, versions, preferredVersion: versions[0] }
}

export function apiGroupList(): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupNames().map(apiGroup) }
}

export function apiGroupDoc(groupName: string): object | undefined {
  if (!groupNames().includes(groupName)) return undefined
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(groupName) }
}

export function apiResourceList(groupName: string, version: string): object {
  const resources: object[] = []
  for (const r of RESOURCES.filter((x) => x.group === groupName && x.version === version)) {
    // The main resource comes first: KubernetesObjectApi picks the first entry whose kind matches,
    // and pods/status and pods/log also have kind Pod.
    resources.push({
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: ALL_VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    })
    for (const s of r.subresources ?? []) {
      resources.push({
        name: `${r.name}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s.group ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      })
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupName ? `${groupName}/${version}` : version, resources }
}
