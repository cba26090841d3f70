// `kubectl get` through the typed client-node APIs, printed the way kubectl prints it.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, NetworkingV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1Node, V1Pod, V1Service, V1Deployment, V1ReplicaSet, CoreV1Event } from '@kubernetes/client-node'
import type { TableAction, TableResource } from '../catalog/types.ts'
import { abortable } from '../kube/clients.ts'

type Row = string[]
interface Table {
  header: string[]
  rows: Row[]
  /** `kubectl get all` prefixes names with kind and prints one table per kind */
  title?: string
}

/** kubectl's duration.HumanDuration, so AGE reads exactly like kubectl's. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(seconds / 3600)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  const years = Math.floor(hours / 24 / 365)
  const days = Math.floor(hours / 24) % 365
  if (hours < 24 * 365 * 8) return days === 0 ? `${years}y` : `${years}y${days}d`
  return `${years}y`
}

const age = (t: Date | string | undefined, now: number) => (t ? humanDuration(now - new Date(t).getTime()) : '<unknown>')

/** Columns padded with three spaces, as kubectl's tabwriter does. */
export function formatTable(table: Table): string {
  const all = [table.header, ...table.rows]
  const widths = table.header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (r: Row) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3)))
      .join('')
      .trimEnd()
  return all.map(line).join('\n') + '\n'
}

function nodeRow(n: V1Node, wide: boolean, now: number): Row {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')
  let status = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'
  if (n.spec?.unschedulable) status += ',SchedulingDisabled'
  const roles =
    Object.keys(n.metadata?.labels ?? {})
      .filter((k) => k.startsWith('node-role.kubernetes.io/'))
      .map((k) => k.slice('node-role.kubernetes.io/'.length))
      .join(',') || '<none>'
  const row = [n.metadata?.name ?? '', status, roles, age(n.metadata?.creationTimestamp, now), n.status?.nodeInfo?.kubeletVersion ?? '']
  if (!wide) return row
  const addr = (type: string) => n.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>'
  const info = n.status?.nodeInfo
  return [...row, addr('InternalIP'), addr('ExternalIP'), info?.osImage ?? '', info?.kernelVersion ?? '', info?.containerRuntimeVersion ?? '']
}

function podRow(p: V1Pod, wide: boolean, now: number, withNamespace: boolean): Row {
  const statuses = p.status?.containerStatuses ?? []
  const total = p.spec?.containers.length ?? statuses.length
  const ready = statuses.filter((s) => s.ready).length
  const restarts = statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0)
  const waiting = statuses.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason
  const terminated = statuses.find((s) => s.state?.terminated?.reason)?.state?.terminated?.reason
  const status = p.metadata?.deletionTimestamp ? 'Terminating' : (waiting ?? terminated ?? p.status?.reason ?? p.status?.phase ?? 'Unknown')
  const row = [p.metadata?.name ?? '', `${ready}/${total}`, status, String(restarts), age(p.metadata?.creationTimestamp, now)]
  const full = withNamespace ? [p.metadata?.namespace ?? '', ...row] : row
  const gates = p.spec?.readinessGates?.length ? `${p.spec.readinessGates.length}` : '<none>'
  return wide ? [...full, p.status?.podIP ?? '<none>', p.spec?.nodeName ?? '<none>', p.status?.nominatedNodeName ?? '<none>', gates] : full
}

function serviceRow(s: V1Service, now: number, wide = false): Row {
  const ports = (s.spec?.ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',')
  const lb = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname).filter(Boolean).join(',')
  const external = lb || (s.spec?.externalIPs ?? []).join(',') || (s.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>')
  const row = [s.metadata?.name ?? '', s.spec?.type ?? '', s.spec?.clusterIP ?? '', external, ports || '<none>', age(s.metadata?.creationTimestamp, now)]
  if (!wide) return row
  const selector = Object.entries(s.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',')
  return [...row, selector || '<none>']
}

/**
 * kubectl's `-o custom-columns`: a dotted path per column, `[*]` over a list (joined with commas), `[?(@.key=="value")]`
 * for the list items whose key has that value (`.status.addresses[?(@.type=="InternalIP")].address`), `<none>` when
 * missing.
 */
export function customColumnValue(object: unknown, path: string): string {
  const parts = path.replace(/^\./, '').match(/[^.[\]]+(\[[^\]]*\])?/g) ?? []
  let values: unknown[] = [object]
  for (const part of parts) {
    const bracket = /^([^[]+)\[(.*)\]$/.exec(part)
    const key = bracket ? bracket[1]! : part
    const filter = bracket && bracket[2] !== '*' ? /^\?\(@\.([\w-]+)==["']([^"']*)["']\)$/.exec(bracket[2]!) : null
    if (bracket && bracket[2] !== '*' && !filter) throw new Error(`custom-columns: cannot read ${part}`)
    values = values.flatMap((v) => {
      const next = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined
      if (next === undefined || next === null) return []
      if (!bracket || !Array.isArray(next)) return [next]
      return filter ? next.filter((item) => item && typeof item === 'object' && String((item as Record<string, unknown>)[filter[1]!]) === filter[2]) : next
    })
  }
  if (values.length === 0) return '<none>'
  return values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',')
}

function deploymentRow(d: V1Deployment, now: number): Row {
  return [
    d.metadata?.name ?? '',
    `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
    String(d.status?.updatedReplicas ?? 0),
    String(d.status?.availableReplicas ?? 0),
    age(d.metadata?.creationTimestamp, now),
  ]
}

function replicaSetRow(r: V1ReplicaSet, now: number): Row {
  return [r.metadata?.name ?? '', String(r.spec?.replicas ?? 0), String(r.status?.replicas ?? 0), String(r.status?.readyReplicas ?? 0), age(r.metadata?.creationTimestamp, now)]
}

function eventRow(e: CoreV1Event, now: number): Row {
  const last = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp
  const obj = `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`
  return [age(last as Date | string | undefined, now), e.type ?? '', e.reason ?? '', obj, (e.message ?? '').replace(/\s+/g, ' ')]
}

interface CustomObject {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string }
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
}

const customResources: Partial<Record<TableResource, { group: string; version: string; plural: string; namespaced: boolean; header: string[]; row: (o: CustomObject, now: number) => Row }>> = {
  ippools: {
    group: 'projectcalico.org', version: 'v3', plural: 'ippools', namespaced: false,
    header: ['NAME', 'CIDR', 'BLOCKSIZE', 'IPIP', 'VXLAN', 'NATOUTGOING', 'AGE'],
    row: (o, now) => [o.metadata?.name ?? '', String(o.spec?.cidr ?? ''), String(o.spec?.blockSize ?? ''), String(o.spec?.ipipMode ?? 'Never'), String(o.spec?.vxlanMode ?? 'Never'), String(o.spec?.natOutgoing ?? false), age(o.metadata?.creationTimestamp, now)],
  },
  ipamblocks: {
    group: 'crd.projectcalico.org', version: 'v1', plural: 'ipamblocks', namespaced: false,
    header: ['NAME', 'CIDR', 'AFFINITY', 'ALLOCATED', 'AGE'],
    row: (o, now) => {
      const allocations = Array.isArray(o.spec?.allocations) ? (o.spec.allocations as unknown[]) : []
      return [o.metadata?.name ?? '', String(o.spec?.cidr ?? ''), String(o.spec?.affinity ?? '<none>'), `${allocations.filter((a) => a !== null).length}/${allocations.length}`, age(o.metadata?.creationTimestamp, now)]
    },
  },
  blockaffinities: {
    group: 'crd.projectcalico.org', version: 'v1', plural: 'blockaffinities', namespaced: false,
    header: ['NAME', 'NODE', 'CIDR', 'STATE', 'AGE'],
    row: (o, now) => [o.metadata?.name ?? '', String(o.spec?.node ?? ''), String(o.spec?.cidr ?? ''), String(o.spec?.state ?? ''), age(o.metadata?.creationTimestamp, now)],
  },
  tigerastatuses: {
    group: 'operator.tigera.io', version: 'v1', plural: 'tigerastatuses', namespaced: false,
    header: ['NAME', 'AVAILABLE', 'PROGRESSING', 'DEGRADED', 'SINCE'],
    row: (o, now) => {
      const conditions = Array.isArray(o.status?.conditions) ? (o.status.conditions as Array<{ type: string; status: string; lastTransitionTime?: string }>) : []
      const c = (t: string) => conditions.find((x) => x.type === t)?.status ?? 'Unknown'
      const since = conditions.find((x) => x.type === 'Available')?.lastTransitionTime
      return [o.metadata?.name ?? '', c('Available'), c('Progressing'), c('Degraded'), age(since, now)]
    },
  },
  caliconodestatuses: {
    group: 'projectcalico.org', version: 'v3', plural: 'caliconodestatuses', namespaced: false,
    header: ['NAME', 'NODE', 'AGE'],
    row: (o, now) => [o.metadata?.name ?? '', String(o.spec?.node ?? '<none>'), age(o.metadata?.creationTimestamp, now)],
  },
  'networkpolicies.projectcalico.org': {
    group: 'projectcalico.org', version: 'v3', plural: 'networkpolicies', namespaced: true,
    header: ['NAME', 'TIER', 'ORDER', 'SELECTOR', 'AGE'],
    row: (o, now) => [o.metadata?.name ?? '', String(o.spec?.tier ?? 'default'), String(o.spec?.order ?? '<none>'), String(o.spec?.selector ?? 'all()'), age(o.metadata?.creationTimestamp, now)],
  },
  'globalnetworkpolicies.projectcalico.org': {
    group: 'projectcalico.org', version: 'v3', plural: 'globalnetworkpolicies', namespaced: false,
    header: ['NAME', 'TIER', 'ORDER', 'SELECTOR', 'AGE'],
    row: (o, now) => [o.metadata?.name ?? '', String(o.spec?.tier ?? 'default'), String(o.spec?.order ?? '<none>'), String(o.spec?.selector ?? 'all()'), age(o.metadata?.creationTimestamp, now)],
  },
}

/** How `kubectl get` names each resource on the slide (custom resources by plural.group, as kubectl needs them). */
export const SHOWN_RESOURCE: Record<TableResource, string> = {
  nodes: 'nodes',
  pods: 'pods',
  services: 'services',
  deployments: 'deployments',
  replicasets: 'replicasets',
  namespaces: 'namespaces',
  events: 'events',
  all: 'all',
  networkpolicies: 'networkpolicies',
  ippools: 'ippools.projectcalico.org',
  ipamblocks: 'ipamblocks.crd.projectcalico.org',
  blockaffinities: 'blockaffinities.crd.projectcalico.org',
  tigerastatuses: 'tigerastatus',
  caliconodestatuses: 'caliconodestatuses.projectcalico.org',
  'networkpolicies.projectcalico.org': 'networkpolicies.projectcalico.org',
  'globalnetworkpolicies.projectcalico.org': 'globalnetworkpolicies.projectcalico.org',
}

/** The table `kubectl get` prints for the action, read with `signal` on every request. */
export async function renderTable(kc: KubeConfig, action: TableAction, signal: AbortSignal, now = Date.now()): Promise<string> {
  const ns = action.namespace
  const labelSelector = action.selector
  const wide = Boolean(action.wide)
  const core = () => abortable(kc, CoreV1Api, signal)
  const apps = () => abortable(kc, AppsV1Api, signal)
  const empty = (what: string) => (ns ? `No ${what} found in ${ns} namespace.\n` : `No ${what} found\n`)

  switch (action.resource) {
    case 'nodes': {
      const list = await core().listNode({ labelSelector })
      const columns = action.columns
      if (columns) return list.items.length ? formatTable({ header: columns.map((c) => c.header), rows: list.items.map((n) => columns.map((c) => customColumnValue(n, c.path))) }) : 'No resources found\n'
      const header = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(wide ? ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'] : [])]
      return list.items.length ? formatTable({ header, rows: list.items.map((n) => nodeRow(n, wide, now)) }) : 'No resources found\n'
    }
    case 'pods': {
      const all = !ns || Boolean(action.allNamespaces)
      const list = all ? await core().listPodForAllNamespaces({ labelSelector }) : await core().listNamespacedPod({ namespace: ns, labelSelector })
      const columns = action.columns
      if (columns) return list.items.length ? formatTable({ header: columns.map((c) => c.header), rows: list.items.map((p) => columns.map((c) => customColumnValue(p, c.path))) }) : empty('resources')
      const header = [...(all ? ['NAMESPACE'] : []), 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : [])]
      return list.items.length ? formatTable({ header, rows: list.items.map((p) => podRow(p, wide, now, all)) }) : empty('resources')
    }
    case 'services': {
      const list = ns ? await core().listNamespacedService({ namespace: ns, labelSelector }) : await core().listServiceForAllNamespaces({ labelSelector })
      const header = ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', ...(wide ? ['SELECTOR'] : [])]
      return list.items.length ? formatTable({ header, rows: list.items.map((s) => serviceRow(s, now, wide)) }) : empty('resources')
    }
    case 'deployments': {
      const list = ns ? await apps().listNamespacedDeployment({ namespace: ns, labelSelector }) : await apps().listDeploymentForAllNamespaces({ labelSelector })
      return list.items.length ? formatTable({ header: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'], rows: list.items.map((d) => deploymentRow(d, now)) }) : empty('resources')
    }
    case 'replicasets': {
      const list = ns ? await apps().listNamespacedReplicaSet({ namespace: ns, labelSelector }) : await apps().listReplicaSetForAllNamespaces({ labelSelector })
      return list.items.length ? formatTable({ header: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'], rows: list.items.map((r) => replicaSetRow(r, now)) }) : empty('resources')
    }
    case 'namespaces': {
      const list = await core().listNamespace({ labelSelector })
      return formatTable({ header: ['NAME', 'STATUS', 'AGE'], rows: list.items.map((n) => [n.metadata?.name ?? '', n.status?.phase ?? '', age(n.metadata?.creationTimestamp, now)]) })
    }
    case 'events': {
      if (!ns) throw new Error('events need a namespace')
      const list = await core().listNamespacedEvent({ namespace: ns })
      const items = [...list.items].sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')))
      return items.length ? formatTable({ header: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], rows: items.map((e) => eventRow(e, now)) }) : empty('events')
    }
    case 'networkpolicies': {
      if (!ns) throw new Error('networkpolicies need a namespace')
      const list = await abortable(kc, NetworkingV1Api, signal).listNamespacedNetworkPolicy({ namespace: ns })
      return list.items.length
        ? formatTable({ header: ['NAME', 'POD-SELECTOR', 'AGE'], rows: list.items.map((p) => [p.metadata?.name ?? '', Object.entries(p.spec?.podSelector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>', age(p.metadata?.creationTimestamp, now)]) })
        : empty('resources')
    }
    case 'all': {
      if (!ns) throw new Error('`get all` needs a namespace')
      // kubectl get all = pods, services, daemonsets, deployments, replicasets (+ statefulsets, jobs…); we print the first four
      const [pods, services, deployments, replicasets] = await Promise.all([
        core().listNamespacedPod({ namespace: ns, labelSelector }),
        core().listNamespacedService({ namespace: ns, labelSelector }),
        apps().listNamespacedDeployment({ namespace: ns, labelSelector }),
        apps().listNamespacedReplicaSet({ namespace: ns, labelSelector }),
      ])
      const prefix = (kind: string, rows: Row[]) => rows.map(([name, ...rest]) => [`${kind}/${name}`, ...rest])
      const tables: Table[] = [
        { header: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : [])], rows: prefix('pod', pods.items.map((p) => podRow(p, wide, now, false))) },
        { header: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'], rows: prefix('service', services.items.map((s) => serviceRow(s, now))) },
        { header: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'], rows: prefix('deployment.apps', deployments.items.map((d) => deploymentRow(d, now))) },
        { header: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'], rows: prefix('replicaset.apps', replicasets.items.map((r) => replicaSetRow(r, now))) },
      ].filter((t) => t.rows.length > 0)
      return tables.length ? tables.map(formatTable).join('\n') : empty('resources')
    }
    default: {
      const custom = customResources[action.resource]
      if (!custom) throw new Error(`no table renderer for ${action.resource}`)
      const api = abortable(kc, CustomObjectsApi, signal)
      const list = (custom.namespaced && ns
        ? await api.listNamespacedCustomObject({ group: custom.group, version: custom.version, namespace: ns, plural: custom.plural, labelSelector })
        : await api.listClusterCustomObject({ group: custom.group, version: custom.version, plural: custom.plural, labelSelector })) as { items?: CustomObject[] }
      const items = list.items ?? []
      if (!items.length) return empty('resources')
      const columns = action.columns
      if (columns) return formatTable({ header: columns.map((c) => c.header), rows: items.map((o) => columns.map((c) => customColumnValue(o, c.path))) })
      return formatTable({ header: custom.header, rows: items.map((o) => custom.row(o, now)) })
    }
  }
}
