// The twin's cluster: the VM lab's three nodes (addresses from scripts/lib.sh), their labels as kubeadm and the
// lab's scripts leave them, one IPAM block per node from the Installation's pod pool, and one LoadBalancer endpoint
// placed on the node the caller names. Everything the twin renders comes from here and from manifests/.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { EXCLUDE_LB_LABEL } from '../../../demo-server/src/bgp/confd.ts'
import type { ClusterFacts, ClusterNode } from '../../../demo-server/src/bgp/confd.ts'
import { labFromManifests, loadManifestDir, podPools } from '../../../demo-server/src/bgp/lab.ts'
import type { LabManifests } from '../../../demo-server/src/bgp/lab.ts'

export const NODE_NAMES = ['control', 'node1', 'node2'] as const
export type NodeName = (typeof NODE_NAMES)[number]

export interface TwinInputs {
  lab: LabManifests
  constants: Record<string, string>
  /** node name -> address */
  nodeIps: Record<NodeName, string>
  prefixLength: number
  podPools: string[]
  /** the LoadBalancer address the twin checks and the Service it belongs to */
  lbIp: string
  lbService: string
  /** control-plane labels after kubeadm and the lab's scripts */
  controlLabels: Record<string, string>
  libSh: string
}

/** `KEY=VALUE` constants of a scripts/lib.sh (first word of the value). */
export function libShConstants(libSh: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of readFileSync(libSh, 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=([^\s#]+)/gm)) out[m[1]!] = m[2]!
  return out
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0)
}
function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/** Reads the lab: manifests from `manifestsDir`, facts and host1's BIRD text from `scriptsDir`/lib.sh. */
export function readTwinInputs(manifestsDir: string, scriptsDir: string): TwinInputs {
  const libSh = join(scriptsDir, 'lib.sh')
  const c = libShConstants(libSh)
  const need = (k: string) => {
    const v = c[k]
    if (!v) throw new Error(`${libSh} does not define ${k}`)
    return v
  }
  const lab = labFromManifests(loadManifestDir(manifestsDir))
  const lbService = lab.services.find((s) => s.ingressIPs.includes(need('LB_IP')))
  if (!lbService) throw new Error(`no LoadBalancer Service in ${manifestsDir} asks for ${need('LB_IP')}`)
  // kubeadm's mark-control-plane phase adds the label with an empty value
  // (cmd/kubeadm/app/phases/markcontrolplane/markcontrolplane.go, labelsToAdd); the lab's scripts may overwrite it.
  const controlLabels: Record<string, string> = { 'node-role.kubernetes.io/control-plane': '', [EXCLUDE_LB_LABEL]: '' }
  if (c.LB_EXCLUSION_LABEL) {
    const [k, v] = c.LB_EXCLUSION_LABEL.split('=')
    controlLabels[k!] = v ?? ''
  }
  // The VM plan's node addresses; lib.sh files older than the CONTROL_IP constants kept them in cluster-vms.sh.
  const nodeIps = {
    control: c.CONTROL_IP ?? '198.19.0.1',
    node1: c.NODE1_IP ?? '198.19.0.2',
    node2: c.NODE2_IP ?? '198.19.0.3',
  }
  return {
    lab,
    constants: c,
    nodeIps,
    prefixLength: Number(need('LAB_NETWORK').split('/')[1]),
    podPools: podPools(lab),
    lbIp: need('LB_IP'),
    lbService: `${lbService.namespace}/${lbService.name}`,
    controlLabels,
    libSh,
  }
}

/** The cluster with productpage's single ready endpoint on `endpointNode`. */
export function twinCluster(inputs: TwinInputs, endpointNode: NodeName): ClusterFacts {
  const pod = inputs.lab.pools.find((p) => inputs.podPools.includes(p.cidr))
  if (!pod) throw new Error('no pod pool in the manifests (Installation ipPools)')
  const base = ipToInt(pod.cidr.split('/')[0]!)
  const blockSize = 26
  const nodes: ClusterNode[] = NODE_NAMES.map((name, i) => ({
    name,
    ip: inputs.nodeIps[name],
    prefixLength: inputs.prefixLength,
    labels: name === 'control' ? inputs.controlLabels : {},
    // Calico IPAM gives each node its own /26 blocks on demand; one per node here, in node order.
    blocks: [`${intToIp(base + i * 2 ** (32 - blockSize))}/${blockSize}`],
  }))
  return { nodes, endpoints: [{ service: inputs.lbService, node: endpointNode, ready: true }] }
}

/**
 * host1's BIRD configuration: the text scripts/lib.sh's host1_bird_conf prints, run by bash from the lab's own
 * file. Its arguments are NAME=ADDRESS pairs; a lib.sh from before that form took bare addresses.
 */
export function host1BirdConf(inputs: TwinInputs): string {
  const namedArgs = readFileSync(inputs.libSh, 'utf8').includes('NAME=ADDRESS')
  const args = NODE_NAMES.map((n) => (namedArgs ? `${n}=${inputs.nodeIps[n]}` : inputs.nodeIps[n]))
  return execFileSync('bash', ['-c', 'source "$0" && host1_bird_conf "$@"', inputs.libSh, ...args], { encoding: 'utf8' })
}
