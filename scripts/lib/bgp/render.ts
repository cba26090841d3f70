// Renders one node's BIRD configuration the way Calico v3.31.7's confd does, for the subset of features the lab
// uses: node-to-node mesh, global peers (next hop mode, source address, BGPFilters), IPAM blocks, LoadBalancer
// static routes (per-Service /32 and aggregate), pool export and kernel programming.
// Shaped after (read with `git show v3.31.7:<path>` in projectcalico/calico):
//   confd/etc/calico/confd/templates/bird.cfg.template       -> bird.cfg
//   confd/etc/calico/confd/templates/bird_aggr.cfg.template  -> bird_aggr.cfg
//   confd/etc/calico/confd/templates/bird_ipam.cfg.template  -> bird_ipam.cfg
//   confd/pkg/resource/template/template_funcs.go            -> BGPFilter functions (BGPFilterBIRDFuncs)
// and compared with confd's own golden renders (confd/tests/compiled_templates/). The output is BIRD 1.6 syntax,
// the base of Calico's BIRD fork, so Debian's `bird` runs it. One difference, forced by that: Calico's fork has a
// kernel route attribute `krt_tunnel` (IPIP device of a route) that BIRD 1.6 lacks; its assignments are left out
// of calico_kernel_programming. In the lab every node shares one subnet, where IPIPCrossSubnet sets it to "" anyway.
import type { BgpFilter, FilterRule } from '../../../demo-server/src/bgp/lab.ts'
import type { NodeView, PeerData } from '../../../demo-server/src/bgp/confd.ts'

export interface BirdFiles {
  'bird.cfg': string
  'bird_aggr.cfg': string
  'bird_ipam.cfg': string
}

// ---- BGPFilter -> BIRD functions (template_funcs.go) -------------------------------------------------------------

const OPERATORS = { Equal: '=', NotEqual: '!=', In: '~', NotIn: '!~' } as const

function filterFunctionName(filter: string, direction: 'import' | 'export'): string {
  const name = `bgp_${filter}_${direction}FilterV4`
  if (name.length > 64) throw new Error(`BGPFilter name ${filter} is too long for the twin (confd truncates and hashes it)`)
  return `'${name}'`
}

function prefixSet(cidr: string, p: NonNullable<FilterRule['prefixLength']>): string {
  const bits = Number(cidr.split('/')[1])
  const min = Math.max(bits, p.min ?? bits)
  const max = Math.min(32, p.max ?? 32)
  return `[ ${cidr}{${min},${max}} ]`
}

function filterStatement(rule: FilterRule): string {
  const action = `${rule.action.toLowerCase()};`
  const conditions: string[] = []
  if (rule.cidr) {
    const target = rule.prefixLength ? prefixSet(rule.cidr, rule.prefixLength) : rule.cidr
    conditions.push(`(net ${OPERATORS[rule.matchOperator!]} ${target})`)
  }
  if (rule.source === 'RemotePeers') conditions.push('((defined(source))&&(source ~ [ RTS_BGP ]))')
  if (rule.interface) conditions.push(`((defined(ifname))&&(ifname ~ "${rule.interface}"))`)
  return conditions.length > 0 ? `if (${conditions.join('&&')}) then { ${action} }` : action
}

function filterFunctions(filters: BgpFilter[]): string[] {
  const lines: string[] = []
  for (const f of filters) {
    if (f.importV4.length === 0 && f.exportV4.length === 0) continue
    lines.push(`# v4 BGPFilter ${f.name}`)
    for (const [direction, rules] of [['import', f.importV4], ['export', f.exportV4]] as const) {
      if (rules.length === 0) continue
      lines.push(`function ${filterFunctionName(f.name, direction)}() {`)
      for (const r of rules) lines.push(`  ${filterStatement(r)}`)
      lines.push('}')
    }
  }
  return lines.length > 0 ? lines : ['# No v4 BGPFilters configured']
}

// ---- bird.cfg ----------------------------------------------------------------------------------------------------

const KERNEL = `# Configure synchronization between routing tables and kernel.
protocol kernel {
  learn;             # Learn all alien routes from the kernel
  persist;           # Don't remove routes on bird shutdown
  scan time 2;       # Scan kernel routing table every 2 seconds
  import all;
  export filter calico_kernel_programming; # Default is export none
  graceful restart;  # Turn on graceful restart to reduce potential flaps in
                     # routes when reloading BIRD configuration.
  merge paths on;    # Allow export multipath routes (ECMP)
}

# Watch interface up/down events.
protocol device {
  debug { states };
  scan time 2;    # Scan interfaces every 2 seconds
}

protocol direct {
  debug { states };
  interface -"cali*", -"kube-ipvs*", "*"; # Exclude cali* and kube-ipvs* but
                                          # include everything else.
}
`

function peerFilterCalls(peer: PeerData, filters: BgpFilter[], direction: 'import' | 'export'): string[] {
  const out: string[] = []
  for (const name of peer.filters) {
    const f = filters.find((x) => x.name === name)
    // bird.cfg.template: a filter named by the peer but not present is skipped (`if exists $filterKey`)
    if (!f) continue
    if ((direction === 'import' ? f.importV4 : f.exportV4).length > 0) out.push(`    ${filterFunctionName(name, direction)}();`)
  }
  return out
}

function globalPeer(view: NodeView, peer: PeerData): string {
  const id = peer.ip.split('.').join('_')
  if (peer.ip === view.nodeIp) return `# For peer /bgp/v1/global/peer_v4/${peer.ip}\n# Skipping ourselves (${view.nodeIp})\n`
  const internal = peer.asNumber === view.asNumber
  const lines = [
    `# For peer /bgp/v1/global/peer_v4/${peer.ip}`,
    `protocol bgp Global_${id} from bgp_template {`,
    '  ttl security off;',
    '  multihop;',
    `  neighbor ${peer.ip} as ${peer.asNumber};`,
  ]
  if (peer.sourceAddr === 'UseNodeIP') lines.push(`  source address ${view.nodeIp};  # The local address we use for the TCP connection`)
  lines.push(
    '  import filter {',
    ...peerFilterCalls(peer, view.filters, 'import'),
    '    accept; # Prior to introduction of BGP Filters we used "import all" so use default accept behaviour on import',
    '  };',
    '  export filter {',
    ...peerFilterCalls(peer, view.filters, 'export'),
    `    calico_export_to_bgp_peers(${internal});`,
    '    reject;',
    '  };  # Only want to export routes for workloads.',
  )
  if (peer.calicoNode && peer.ip > view.nodeIp) lines.push('  passive on; # Peering is unidirectional, peer will connect to us.')
  if (!internal && peer.keepNextHop) lines.push('  next hop keep;')
  if (peer.nextHopMode === 'Self') lines.push('  next hop self;')
  if (peer.nextHopMode === 'Keep') lines.push('  next hop keep;')
  lines.push('}')
  return lines.join('\n') + '\n'
}

function meshPeers(view: NodeView): string {
  if (!view.meshEnabled) return '# Node-to-node mesh disabled\n'
  const out: string[] = []
  for (const other of view.meshNodes) {
    out.push(`# For peer /bgp/v1/host/${other.name}/ip_addr_v4`)
    if (other.ip === view.nodeIp) {
      out.push(`# Skipping ourselves (${view.nodeIp})`, '')
      continue
    }
    out.push(
      `protocol bgp Mesh_${other.ip.split('.').join('_')} from bgp_template {`,
      `  neighbor ${other.ip} as ${view.asNumber};`,
      `  source address ${view.nodeIp};  # The local address we use for the TCP connection`,
      '  import all;        # Import all routes, since we don\'t know what the upstream',
      '                     # topology is and therefore have to trust the ToR/RR.',
      '  export filter {',
      '    calico_export_to_bgp_peers(true);',
      '    reject;',
      '  };  # Only want to export routes for workloads.',
    )
    // Go templates compare the address strings: the higher one waits for the lower one to connect.
    if (other.ip > view.nodeIp) out.push('  passive on; # Mesh is unidirectional, peer will connect to us.')
    out.push('}', '')
  }
  return out.join('\n')
}

function birdCfg(view: NodeView): string {
  return [
    'function apply_communities ()\n{\n}\n',
    '# Generated by confd',
    'include "bird_aggr.cfg";',
    'include "bird_ipam.cfg";',
    '',
    `router id ${view.nodeIp};`,
    '',
    KERNEL,
    '# Template for all BGP clients',
    'template bgp bgp_template {',
    '  debug { states };',
    '  description "Connection to BGP peer";',
    `  local as ${view.asNumber};`,
    '  gateway recursive; # This should be the default, but just in case.',
    '  add paths on;',
    '  graceful restart;  # See comment in kernel section about graceful restart.',
    '  connect delay time 2;',
    '  connect retry time 5;',
    '  error wait time 5,30;',
    '}',
    '',
    '# -------------- BGP Filters ------------------',
    ...filterFunctions(view.filters),
    '',
    '# ------------- Node-to-node mesh -------------',
    meshPeers(view),
    '# ------------- Global peers -------------',
    view.globalPeers.length > 0 ? view.globalPeers.map((p) => globalPeer(view, p)).join('\n') : '# No global peers configured.\n',
    '# ------------- Node-specific peers -------------',
    '# No node-specific peers configured.',
    '',
  ].join('\n')
}

// ---- bird_aggr.cfg -----------------------------------------------------------------------------------------------

function birdAggrCfg(view: NodeView): string {
  const lines = ['# Generated by confd', '', 'protocol static {']
  if (view.blocks.length > 0) {
    lines.push('   # IP blocks for this host.')
    for (const b of view.blocks) if (!b.endsWith('/32')) lines.push(`   route ${b} blackhole;`)
  }
  if (view.staticRoutes.length > 0) {
    lines.push('   # Static routes.')
    for (const r of view.staticRoutes) lines.push(`   route ${r} blackhole;`)
  }
  if (view.blocks.length === 0 && view.staticRoutes.length === 0) lines.push('   # No IP blocks or static routes for this host.')
  lines.push('}', '', '', '# Aggregation of routes on this host; export the block, nothing beneath it.', 'function calico_aggr ()', '{')
  for (const b of view.blocks) {
    lines.push(`      # Block ${b} is confirmed`, `      if ( net = ${b} ) then { accept; }`, `      if ( net ~ ${b} ) then { reject; }`)
  }
  lines.push('}', '')
  return lines.join('\n')
}

// ---- bird_ipam.cfg -----------------------------------------------------------------------------------------------

function birdIpamCfg(view: NodeView): string {
  const lines = ['# Generated by confd', 'function reject_disabled_pools ()', '{']
  for (const p of view.pools) if (p.disableBGPExport) lines.push(`  if ( net ~ ${p.cidr} ) then { reject; }`)
  lines.push(
    '}',
    '',
    'function reject_tunnel_routes () {',
    '  # Don\'t export tunnel routes to other nodes, Felix programs them.',
    '  if (defined(ifname)) then {',
    '     if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then {',
    '        reject;',
    '     }',
    '  }',
    '}',
    '',
    'function reject_local_routes () {',
    '  # Don\'t export local routes learned via BPF as they should never leave the node.',
    '  if (defined(ifname)) then {',
    '     if (ifname ~ "bpf*.cali") then {',
    '        reject;',
    '     }',
    '  }',
    '}',
    '',
    'function calico_export_to_bgp_peers(bool internal_peer) {',
    '  reject_disabled_pools();',
    '  if (internal_peer) then {',
    '    reject_tunnel_routes();',
    '  }',
    '  reject_local_routes();',
    '  apply_communities();',
    '  calico_aggr();',
  )
  if (view.staticRoutes.length > 0) {
    lines.push('', '  # Export static routes.')
    for (const r of view.staticRoutes) lines.push(`  if ( net ~ ${r} ) then { accept; }`)
  }
  lines.push('')
  for (const p of view.pools) {
    if (p.disableBGPExport) lines.push(`  # Skip ${p.cidr} as BGP export is disabled for it`)
    else lines.push(`  if ( net ~ ${p.cidr} ) then {`, '    accept;', '  }')
  }
  lines.push('}', '', '', 'filter calico_kernel_programming {')
  if (view.rejectCidrs.length > 0) {
    lines.push('', '  # Don\'t program static routes into kernel.')
    for (const r of view.rejectCidrs) lines.push(`  if ( net ~ ${r} ) then { reject; }`)
  }
  lines.push('')
  for (const p of view.pools) {
    lines.push(`  if ( net ~ ${p.cidr} ) then {`)
    if (p.vxlanMode !== 'Never') lines.push('    # Don\'t program VXLAN routes into the kernel - these are handled by Felix.', '    reject;')
    else lines.push(`    # krt_tunnel (Calico's BIRD only) left out: ipipMode ${p.ipipMode}, node network ${view.network}`, '    accept;')
    lines.push('  }')
  }
  lines.push('  accept;', '}', '')
  return lines.join('\n')
}

export function renderNode(view: NodeView): BirdFiles {
  return { 'bird.cfg': birdCfg(view), 'bird_aggr.cfg': birdAggrCfg(view), 'bird_ipam.cfg': birdIpamCfg(view) }
}
