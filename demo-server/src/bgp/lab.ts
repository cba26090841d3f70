// What the routing twin (scripts/twin-bgp.ts) and the demo's expectation know of the lab: the BGP-relevant objects
// of manifests/ (BGPConfiguration, BGPPeer, BGPFilter, IPPool, the operator's Installation pool, LoadBalancer
// Services). Only the fields the lab uses are modelled; any other field is refused with an error naming it, so a
// manifest change the model does not understand stops the twin instead of being silently ignored.
import { manifestFilesIn, readManifestDocs } from '../manifests.ts'

export type NextHopMode = 'Auto' | 'Self' | 'Keep'

export interface BgpConfig {
  asNumber: number
  meshEnabled: boolean
  /** BGPConfiguration.spec.serviceLoadBalancerIPs[].cidr */
  lbCidrs: string[]
  /** BGPConfiguration.spec.serviceLoadBalancerAggregation; Calico's default is Enabled */
  lbAggregation: 'Enabled' | 'Disabled'
}

export interface Peer {
  name: string
  ip: string
  asNumber: number
  keepOriginalNextHop: boolean
  /** undefined when the BGPPeer does not set it */
  nextHopMode: NextHopMode | undefined
  filters: string[]
  sourceAddress: 'UseNodeIP' | 'None'
}

export interface FilterRule {
  action: 'Accept' | 'Reject'
  cidr?: string
  matchOperator?: 'Equal' | 'NotEqual' | 'In' | 'NotIn'
  prefixLength?: { min?: number; max?: number }
  source?: 'RemotePeers'
  interface?: string
}

export interface BgpFilter {
  name: string
  exportV4: FilterRule[]
  importV4: FilterRule[]
}

export interface Pool {
  name: string
  cidr: string
  ipipMode: 'Never' | 'Always' | 'CrossSubnet'
  vxlanMode: 'Never' | 'Always' | 'CrossSubnet'
  disableBGPExport: boolean
}

export interface LbService {
  namespace: string
  name: string
  externalTrafficPolicy: 'Local' | 'Cluster'
  /** status.loadBalancer.ingress as Calico's IPAM fills it: the addresses the annotation asks for */
  ingressIPs: string[]
}

export interface LabManifests {
  bgp: BgpConfig
  peers: Peer[]
  filters: BgpFilter[]
  pools: Pool[]
  services: LbService[]
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any

function onlyKeys(where: string, obj: Record<string, unknown> | undefined, allowed: string[]): void {
  for (const key of Object.keys(obj ?? {})) {
    if (!allowed.includes(key)) throw new Error(`${where}: the routing twin does not model field "${key}" (it knows ${allowed.join(', ')})`)
  }
}

function oneOf<T extends string>(where: string, value: unknown, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  throw new Error(`${where}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`)
}

/** Every object of every manifest in a directory, in file order (read the one way manifests.ts reads them). */
export function loadManifestDir(dir: string): Obj[] {
  const files = manifestFilesIn(dir, '.')
  if (files.length === 0) throw new Error(`no *.yaml manifests in ${dir}`)
  return readManifestDocs(dir, files).map((d) => d.object).filter((o) => o && typeof o === 'object')
}

const ENCAPSULATION: Record<string, { ipipMode: Pool['ipipMode']; vxlanMode: Pool['vxlanMode'] }> = {
  IPIP: { ipipMode: 'Always', vxlanMode: 'Never' },
  IPIPCrossSubnet: { ipipMode: 'CrossSubnet', vxlanMode: 'Never' },
  VXLAN: { ipipMode: 'Never', vxlanMode: 'Always' },
  VXLANCrossSubnet: { ipipMode: 'Never', vxlanMode: 'CrossSubnet' },
  None: { ipipMode: 'Never', vxlanMode: 'Never' },
}

/** The BGP-relevant part of the lab's manifests. */
export function labFromManifests(docs: Obj[]): LabManifests {
  const configs = docs.filter((d) => d.kind === 'BGPConfiguration')
  const config = configs.find((d) => d.metadata?.name === 'default')
  if (!config) throw new Error('no BGPConfiguration named default in the manifests')
  if (configs.length > 1) throw new Error('the routing twin models one BGPConfiguration (default) only')
  onlyKeys('BGPConfiguration default spec', config.spec, [
    'nodeToNodeMeshEnabled', 'asNumber', 'serviceLoadBalancerIPs', 'serviceLoadBalancerAggregation', 'logSeverityScreen',
  ])
  const bgp: BgpConfig = {
    asNumber: config.spec.asNumber ?? 64512,
    meshEnabled: config.spec.nodeToNodeMeshEnabled ?? true,
    lbCidrs: (config.spec.serviceLoadBalancerIPs ?? []).map((b: { cidr: string }) => b.cidr),
    lbAggregation: oneOf('serviceLoadBalancerAggregation', config.spec.serviceLoadBalancerAggregation, ['Enabled', 'Disabled'] as const, 'Enabled'),
  }

  const peers: Peer[] = docs.filter((d) => d.kind === 'BGPPeer').map((d) => {
    const where = `BGPPeer ${d.metadata.name}`
    onlyKeys(`${where} spec`, d.spec, ['peerIP', 'asNumber', 'keepOriginalNextHop', 'nextHopMode', 'filters', 'sourceAddress'])
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(d.spec.peerIP ?? '')) throw new Error(`${where}: peerIP must be an IPv4 address without a port`)
    if (d.spec.keepOriginalNextHop && d.spec.nextHopMode !== undefined) {
      // libcalico-go validator.go validateBGPPeerSpec refuses the pair
      throw new Error(`${where}: keepOriginalNextHop must not be true when nextHopMode is set`)
    }
    return {
      name: d.metadata.name,
      ip: d.spec.peerIP,
      asNumber: d.spec.asNumber,
      keepOriginalNextHop: d.spec.keepOriginalNextHop ?? false,
      nextHopMode: d.spec.nextHopMode === undefined ? undefined : oneOf(`${where} nextHopMode`, d.spec.nextHopMode, ['Auto', 'Self', 'Keep'] as const),
      filters: d.spec.filters ?? [],
      sourceAddress: oneOf(`${where} sourceAddress`, d.spec.sourceAddress, ['UseNodeIP', 'None'] as const, 'UseNodeIP'),
    }
  })

  const filters: BgpFilter[] = docs.filter((d) => d.kind === 'BGPFilter').map((d) => {
    const where = `BGPFilter ${d.metadata.name}`
    onlyKeys(`${where} spec`, d.spec, ['exportV4', 'importV4'])
    const rules = (list: Obj[] | undefined, dir: string): FilterRule[] =>
      (list ?? []).map((r, i) => {
        onlyKeys(`${where} ${dir}[${i}]`, r, ['action', 'cidr', 'matchOperator', 'prefixLength', 'source', 'interface'])
        // validator.go validateBGPFilterRule: cidr and matchOperator go together; prefixLength needs a cidr
        if ((r.cidr === undefined) !== (r.matchOperator === undefined)) throw new Error(`${where} ${dir}[${i}]: cidr and matchOperator go together`)
        if (r.prefixLength && !r.cidr) throw new Error(`${where} ${dir}[${i}]: prefixLength needs a cidr`)
        return {
          action: oneOf(`${where} ${dir}[${i}].action`, r.action, ['Accept', 'Reject'] as const),
          cidr: r.cidr,
          matchOperator: r.matchOperator === undefined ? undefined : oneOf(`${where} ${dir}[${i}].matchOperator`, r.matchOperator, ['Equal', 'NotEqual', 'In', 'NotIn'] as const),
          prefixLength: r.prefixLength,
          source: r.source === undefined ? undefined : oneOf(`${where} ${dir}[${i}].source`, r.source, ['RemotePeers'] as const),
          interface: r.interface,
        }
      })
    return { name: d.metadata.name, exportV4: rules(d.spec.exportV4, 'exportV4'), importV4: rules(d.spec.importV4, 'importV4') }
  })

  const pools: Pool[] = []
  for (const d of docs.filter((x) => x.kind === 'Installation')) {
    // The operator creates one IPPool per Installation pool; its default name for the first IPv4 pool.
    for (const [i, p] of (d.spec?.calicoNetwork?.ipPools ?? []).entries()) {
      pools.push({
        name: p.name ?? (i === 0 ? 'default-ipv4-ippool' : `ipv4-ippool-${i}`),
        cidr: p.cidr,
        ...(ENCAPSULATION[p.encapsulation ?? 'IPIP'] ?? ENCAPSULATION.IPIP!),
        disableBGPExport: p.disableBGPExport ?? false,
      })
    }
  }
  for (const d of docs.filter((x) => x.kind === 'IPPool')) {
    pools.push({
      name: d.metadata.name,
      cidr: d.spec.cidr,
      ipipMode: oneOf(`IPPool ${d.metadata.name} ipipMode`, d.spec.ipipMode, ['Never', 'Always', 'CrossSubnet'] as const, 'Never'),
      vxlanMode: oneOf(`IPPool ${d.metadata.name} vxlanMode`, d.spec.vxlanMode, ['Never', 'Always', 'CrossSubnet'] as const, 'Never'),
      disableBGPExport: d.spec.disableBGPExport ?? false,
    })
  }

  const services: LbService[] = docs
    .filter((d) => d.kind === 'Service' && d.spec?.type === 'LoadBalancer')
    .map((d) => ({
      namespace: d.metadata.namespace ?? 'default',
      name: d.metadata.name,
      externalTrafficPolicy: oneOf(`Service ${d.metadata.name} externalTrafficPolicy`, d.spec.externalTrafficPolicy, ['Local', 'Cluster'] as const, 'Cluster'),
      ingressIPs: JSON.parse(d.metadata.annotations?.['projectcalico.org/loadBalancerIPs'] ?? '[]'),
    }))
  return { bgp, peers, filters, pools, services }
}

/** The pod pools' CIDRs: every pool but the LoadBalancer ones (no route inside them may reach the outside router). */
export function podPools(lab: LabManifests): string[] {
  return lab.pools.filter((p) => !lab.bgp.lbCidrs.includes(p.cidr)).map((p) => p.cidr)
}
