// What confd knows when it renders one node's BIRD configuration: the subset of its datastore view the lab uses.
// Shaped after Calico v3.31.7's confd Go code, which turns Kubernetes and Calico resources into template keys:
//   - confd/pkg/backends/calico/client.go: updatePeersV1 (a BGPPeer without node/nodeSelector is a global peer,
//     /bgp/v1/global/peer_v4/<ip>), getNextHopMode, onLoadBalancerIPsUpdate + updateGlobalRoutes (the aggregate
//     LoadBalancer CIDRs: static + reject routes on every node that is not excluded, reject routes only on an
//     excluded one), ExcludeServiceAdvertisement (label value "true" only);
//   - confd/pkg/backends/calico/routes.go: advertiseThisService + getAllRoutesForService (a per-Service /32 as a
//     static route on the nodes that should advertise it).
import type { BgpFilter, LabManifests, NextHopMode, Pool } from './lab.ts'

export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers'

export interface ClusterNode {
  name: string
  ip: string
  /** prefix length of the node's address (its network, /bgp/v1/host/<node>/network_v4) */
  prefixLength: number
  labels: Record<string, string>
  /** IPAM blocks affine to the node (/ipam/v2/host/<node>/ipv4/block), all confirmed */
  blocks: string[]
}

export interface EndpointState {
  /** namespace/name of the Service */
  service: string
  node: string
  ready: boolean
}

export interface ClusterFacts {
  nodes: ClusterNode[]
  endpoints: EndpointState[]
}

/** One /bgp/v1/global/peer_v4 value (client.go bgpPeer), the fields the lab uses. */
export interface PeerData {
  ip: string
  asNumber: number
  sourceAddr: 'UseNodeIP' | 'None'
  keepNextHop: boolean
  nextHopMode: NextHopMode | ''
  calicoNode: boolean
  filters: string[]
}

export interface NodeView {
  nodeName: string
  nodeIp: string
  /** the node's network, e.g. 198.19.0.0/20 */
  network: string
  asNumber: number
  meshEnabled: boolean
  /** every node, in key order (the template skips itself) */
  meshNodes: { name: string; ip: string }[]
  globalPeers: PeerData[]
  filters: BgpFilter[]
  pools: Pool[]
  blocks: string[]
  /** /staticroutes: CIDRs this node originates as blackhole routes and exports */
  staticRoutes: string[]
  /** /rejectcidrs: CIDRs never programmed into this node's kernel */
  rejectCidrs: string[]
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0)
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/')
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0
  return ((ipToInt(ip) & mask) >>> 0) === ((ipToInt(base!) & mask) >>> 0)
}

export function networkOf(ip: string, prefixLength: number): string {
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0
  const n = (ipToInt(ip) & mask) >>> 0
  return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}/${prefixLength}`
}

/** confd keys sort as strings, with the CIDR's "/" written "-" (e.g. /calico/staticroutes/198.19.48.10-32). */
const byKey = (a: string, b: string) => (a.replace('/', '-') < b.replace('/', '-') ? -1 : a.replace('/', '-') > b.replace('/', '-') ? 1 : 0)

const isSingle = (cidr: string) => cidr.endsWith('/32')

/** routes.go advertiseThisService, for a LoadBalancer Service with a cluster IP. */
function advertiseThisService(
  lab: LabManifests,
  svc: LabManifests['services'][number],
  excluded: boolean,
  nodeName: string,
  endpoints: EndpointState[],
): boolean {
  if (excluded) return false
  const singleLbIp = svc.ingressIPs.some((ip) => lab.bgp.lbCidrs.some((c) => isSingle(c) && cidrContains(c, ip)))
  if (svc.externalTrafficPolicy === 'Cluster' && singleLbIp) return true
  if (svc.externalTrafficPolicy !== 'Local' && lab.bgp.lbAggregation === 'Enabled') return false
  for (const ep of endpoints) {
    if (ep.service !== `${svc.namespace}/${svc.name}` || !ep.ready) continue
    if (svc.externalTrafficPolicy !== 'Local') return true
    if (ep.node === nodeName) return true
  }
  return false
}

/** What confd would hand the templates on `nodeName`. */
export function confdView(lab: LabManifests, cluster: ClusterFacts, nodeName: string): NodeView {
  const node = cluster.nodes.find((n) => n.name === nodeName)
  if (!node) throw new Error(`no node ${nodeName} in the twin's cluster`)
  const excluded = node.labels[EXCLUDE_LB_LABEL] === 'true'
  const nodeIps = new Set(cluster.nodes.map((n) => n.ip))

  const staticRoutes = new Set<string>()
  const rejectCidrs = new Set<string>()
  // client.go onLoadBalancerIPsUpdate: with aggregation Enabled, the non-/32 LoadBalancer CIDRs are global routes.
  if (lab.bgp.lbAggregation === 'Enabled') {
    for (const cidr of lab.bgp.lbCidrs.filter((c) => !isSingle(c))) {
      rejectCidrs.add(cidr)
      if (!excluded) staticRoutes.add(cidr)
    }
  }
  // routes.go: per-Service /32 of every allowed ingress address.
  for (const svc of lab.services) {
    if (!advertiseThisService(lab, svc, excluded, nodeName, cluster.endpoints)) continue
    for (const ip of svc.ingressIPs) {
      if (lab.bgp.lbCidrs.some((c) => cidrContains(c, ip))) staticRoutes.add(`${ip}/32`)
    }
  }

  const globalPeers: PeerData[] = lab.peers
    .map((p) => {
      // client.go getNextHopMode: nextHopMode, when set, wins over keepOriginalNextHop.
      const keepNextHop = p.nextHopMode === undefined ? p.keepOriginalNextHop : false
      return {
        ip: p.ip,
        asNumber: p.asNumber,
        sourceAddr: p.sourceAddress,
        keepNextHop,
        nextHopMode: p.nextHopMode ?? ('' as const),
        calicoNode: nodeIps.has(p.ip),
        filters: p.filters,
      }
    })
    .sort((a, b) => byKey(a.ip, b.ip))

  return {
    nodeName,
    nodeIp: node.ip,
    network: networkOf(node.ip, node.prefixLength),
    asNumber: lab.bgp.asNumber,
    meshEnabled: lab.bgp.meshEnabled,
    meshNodes: [...cluster.nodes].sort((a, b) => (a.name < b.name ? -1 : 1)).map((n) => ({ name: n.name, ip: n.ip })),
    globalPeers,
    filters: [...lab.filters].sort((a, b) => (a.name < b.name ? -1 : 1)),
    pools: [...lab.pools].sort((a, b) => byKey(a.cidr, b.cidr)),
    blocks: [...node.blocks].sort(byKey),
    staticRoutes: [...staticRoutes].sort(byKey),
    rejectCidrs: [...rejectCidrs].sort(byKey),
  }
}
