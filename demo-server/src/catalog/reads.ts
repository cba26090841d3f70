// What the cluster says about itself: `kubectl get` tables, and a rollout watched as the API server reports it.
import { LAB } from './lab.ts'
import type { RolloutAction, TableAction } from './types.ts'

const READ_TIMEOUT_MS = 10_000

/** `-o custom-columns=…` columns: the slide's command and the printed table both come from this list. */
const columns = (...list: Array<[header: string, path: string]>) => list.map(([header, path]) => ({ header, path }))

const table = (fields: Omit<TableAction, 'kind' | 'timeoutMs'>): TableAction => ({ kind: 'table', timeoutMs: READ_TIMEOUT_MS, ...fields })

/** The nodes, trimmed to what the slides point at: each node's address, kubelet version and container runtime. */
export const nodesWide = table({
  id: 'nodes-wide',
  title: 'The nodes of the lab',
  resource: 'nodes',
  namespaces: [],
  columns: columns(['NAME', '.metadata.name'], ['INTERNAL-IP', '.status.addresses[?(@.type=="InternalIP")].address'], ['KUBELET', '.status.nodeInfo.kubeletVersion'], ['RUNTIME', '.status.nodeInfo.containerRuntimeVersion']),
})

export const dev1GetAll = table({ id: 'dev1-get-all', title: 'What runs in dev1', resource: 'all', namespace: LAB.namespace, namespaces: [LAB.namespace] })

export const dev1Services = table({
  id: 'dev1-services',
  title: `The exposure: productpage-lb gets ${LAB.lbIp} from Calico LoadBalancer IPAM`,
  resource: 'services',
  namespace: LAB.namespace,
  wide: true,
  namespaces: [LAB.namespace],
})

export const ippools = table({
  id: 'ippools',
  title: 'IP pools: pods (198.19.16.0/21, /26 blocks, IPIPCrossSubnet) and LoadBalancer (198.19.48.0/24)',
  resource: 'ippools',
  namespaces: [],
  columns: columns(['NAME', '.metadata.name'], ['CIDR', '.spec.cidr'], ['BLOCKSIZE', '.spec.blockSize'], ['IPIP', '.spec.ipipMode'], ['VXLAN', '.spec.vxlanMode'], ['NATOUTGOING', '.spec.natOutgoing'], ['USES', '.spec.allowedUses[*]']),
})

export const ipamBlocks = table({
  id: 'ipam-blocks',
  title: 'IPAM blocks and the node each is affine to',
  resource: 'ipamblocks',
  namespaces: [],
  columns: columns(['CIDR', '.spec.cidr'], ['AFFINITY', '.spec.affinity']),
})

export const blockAffinities = table({
  id: 'block-affinities',
  title: 'Block affinities: which node owns which /26',
  resource: 'blockaffinities',
  namespaces: [],
  columns: columns(['NODE', '.spec.node'], ['CIDR', '.spec.cidr'], ['STATE', '.spec.state']),
})

/**
 * BGP sessions per node, as calico-node reports them (CalicoNodeStatus, one per node: demo:check creates them,
 * bgp/nodeStatus.ts). Each list column is in BIRD's protocol order, so PEERS and STATES line up.
 */
export const bgpSessions = table({
  id: 'bgp-sessions',
  title: 'BGP sessions per node (CalicoNodeStatus): two mesh peers and host1, Established',
  resource: 'caliconodestatuses',
  namespaces: [],
  columns: columns(['NODE', '.spec.node'], ['BIRD', '.status.agent.birdV4.state'], ['PEERS', '.status.bgp.peersV4[*].peerIP'], ['STATES', '.status.bgp.peersV4[*].state']),
})

export const calicoSystemPods = table({
  id: 'calico-system-pods',
  title: 'Calico components: calico-node (Felix, BIRD, confd), Typha, kube-controllers, CSI driver',
  resource: 'pods',
  namespace: 'calico-system',
  namespaces: ['calico-system'],
  // which component runs where (calico-node on every node): the columns the slide points at
  columns: columns(['NAME', '.metadata.name'], ['STATUS', '.status.phase'], ['NODE', '.spec.nodeName']),
})

export const tigerastatus = table({ id: 'tigerastatus', title: 'What the operator reports', resource: 'tigerastatuses', namespaces: [] })

export const rolloutEvents: RolloutAction = {
  id: 'rollout-events',
  title: 'A fresh rollout, as the API server reports it',
  kind: 'rollout',
  namespace: LAB.namespace,
  deployment: 'details-v1',
  namespaces: [LAB.namespace],
  timeoutMs: 120_000,
}

export const readActions = [nodesWide, dev1GetAll, dev1Services, ippools, ipamBlocks, blockAffinities, bgpSessions, calicoSystemPods, tigerastatus, rolloutEvents]
