// What a node sends a global peer of its own routes: the routes confd hands BIRD as originated on that node (its
// static routes — the LoadBalancer /32s and aggregates — and its IPAM blocks), passed through the export filter
// bird.cfg.template writes for the peer: the BGPFilters it names, in order (template_funcs.go turns each rule into
// `if (conditions) then { accept|reject; }`, and the first that decides ends the filter), then
// calico_export_to_bgp_peers (bird_ipam.cfg.template: disabled pools, block aggregation, static routes, pool
// CIDRs), then `reject`. Routes a node learnt from another node are not modelled here: the twin runs real BIRD for
// those (scripts/twin-bgp.ts); its test checks that this model and BIRD agree on the lab.
import { parseCidr, cidrWithin } from '../policy/model.ts'
import type { ClusterFacts, NodeView } from './confd.ts'
import { confdView } from './confd.ts'
import type { FilterRule, LabManifests } from './lab.ts'

/** `net ~ cidr` in BIRD: the prefix lies within the CIDR (as long or longer). */
function within(prefix: string, cidr: string): boolean {
  const inner = parseCidr(prefix)
  const outer = parseCidr(cidr)
  if (!inner || !outer) throw new Error(`not an IPv4 CIDR: ${inner ? cidr : prefix}`)
  return cidrWithin(inner, outer)
}

const lengthOf = (prefix: string) => Number(prefix.split('/')[1])

/** Whether one BGPFilter rule's conditions hold for a route the node itself originates (a blackhole static route). */
function ruleMatches(rule: FilterRule, prefix: string): boolean {
  // source RemotePeers is `source ~ [ RTS_BGP ]`: never a static route. interface is `defined(ifname) && …`: a
  // blackhole route has no interface.
  if (rule.source === 'RemotePeers' || rule.interface !== undefined) return false
  if (rule.cidr === undefined) return true
  const { min, max } = rule.prefixLength ?? {}
  const inSet = within(prefix, rule.cidr) && lengthOf(prefix) >= Math.max(lengthOf(rule.cidr), min ?? 0) && lengthOf(prefix) <= (max ?? 32)
  const equal = prefix === rule.cidr
  switch (rule.matchOperator) {
    case 'In':
      return inSet
    case 'NotIn':
      return !inSet
    case 'Equal':
      if (rule.prefixLength) throw new Error('a BGPFilter rule with matchOperator Equal and a prefixLength is not modelled')
      return equal
    case 'NotEqual':
      if (rule.prefixLength) throw new Error('a BGPFilter rule with matchOperator NotEqual and a prefixLength is not modelled')
      return !equal
    default:
      return false
  }
}

/** accept / reject for one of the node's own routes towards `peerIp`, as the node's BIRD would decide it. */
function exported(view: NodeView, filters: readonly string[], prefix: string): boolean {
  for (const name of filters) {
    // bird.cfg.template skips a filter the peer names but that does not exist
    const filter = view.filters.find((f) => f.name === name)
    for (const rule of filter?.exportV4 ?? []) {
      if (ruleMatches(rule, prefix)) return rule.action === 'Accept'
    }
  }
  // calico_export_to_bgp_peers
  if (view.pools.some((p) => p.disableBGPExport && within(prefix, p.cidr))) return false
  for (const block of view.blocks) {
    if (prefix === block) return true
    if (within(prefix, block)) return false
  }
  if (view.staticRoutes.some((r) => within(prefix, r))) return true
  return view.pools.some((p) => !p.disableBGPExport && within(prefix, p.cidr))
}

/** The node's own routes it exports to the global peer `peerIp` (none when it has no session with it). */
export function ownExports(view: NodeView, peerIp: string): string[] {
  const peer = view.globalPeers.find((p) => p.ip === peerIp)
  if (!peer || peer.ip === view.nodeIp) return []
  return [...view.blocks, ...view.staticRoutes].filter((prefix) => exported(view, peer.filters, prefix))
}

export interface ExpectedRoute {
  prefix: string
  /** the nodes that send it, each as its own next hop (their own routes: next hop self, whatever the peer's mode) */
  via: { node: string; ip: string }[]
}

/** What the peer `peerIp` should learn from the cluster: per prefix, the nodes that send it. */
export function expectedRoutes(lab: LabManifests, cluster: ClusterFacts, peerIp: string): ExpectedRoute[] {
  const byPrefix = new Map<string, ExpectedRoute>()
  for (const node of cluster.nodes) {
    for (const prefix of ownExports(confdView(lab, cluster, node.name), peerIp)) {
      const route = byPrefix.get(prefix) ?? { prefix, via: [] }
      route.via.push({ node: node.name, ip: node.ip })
      byPrefix.set(prefix, route)
    }
  }
  return [...byPrefix.values()].sort((a, b) => lengthOf(b.prefix) - lengthOf(a.prefix) || a.prefix.localeCompare(b.prefix))
}
