// What a matrix run reads from the cluster, through client-node, each request carrying the run's signal: the pods of
// the matrix's namespaces (the probes leave from them), and the engine's inputs — namespaces, service accounts,
// networking.k8s.io/v1 NetworkPolicies, projectcalico.org/v3 Tiers, (Global)NetworkPolicies, (Global)NetworkSets and
// the three staged policy kinds.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node'
import type { KubeConfig, V1Pod } from '@kubernetes/client-node'
import type { ProbeMatrixAction } from '../catalog/types.ts'
import { abortable } from '../kube/clients.ts'
import { describeClusterError } from '../kube/cluster.ts'
import { buildModel, CaseError, compilePolicies } from '../policy/index.ts'
import type { ClusterModel, PolicySet } from '../policy/index.ts'
import type { NamespaceInput, PodInput, ServiceAccountInput } from '../policy/model.ts'
import type { EngineInputs } from './expectation.ts'
import { resourceName } from './expectation.ts'
import { matrixNamespaces } from './model.ts'

/** Calico resources converted from Kubernetes ones (already read as such) carry these prefixes. */
const CONVERTED = /^(knp\.default\.|kanp\.|kbanp\.|kcnp\.)/

/** Every pod of the matrix's namespaces (the probes need them: a failure throws). */
export async function listMatrixPods(kc: KubeConfig, action: ProbeMatrixAction, signal: AbortSignal): Promise<V1Pod[]> {
  const core = abortable(kc, CoreV1Api, signal)
  const namespaces = matrixNamespaces(action)
  const podLists = await Promise.all(namespaces.map((namespace) => core.listNamespacedPod({ namespace })))
  return podLists.flatMap((l, i) => l.items.map((p) => (p.metadata?.namespace ? p : { ...p, metadata: { ...p.metadata, namespace: namespaces[i] } })))
}

function podInput(p: V1Pod): PodInput | undefined {
  if (p.status?.phase !== 'Running' || !p.status.podIP || p.spec?.hostNetwork || p.metadata?.deletionTimestamp) return undefined
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    labels: p.metadata?.labels ?? {},
    ip: p.status.podIP,
    serviceAccount: p.spec?.serviceAccountName || 'default',
    ports: (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []).map((port) => ({
      name: port.name,
      containerPort: port.containerPort,
      protocol: port.protocol === 'UDP' || port.protocol === 'SCTP' ? port.protocol : 'TCP',
    })),
  }
}

interface RawList { items?: unknown[] }

/** Compiles the policies; a resource the engine refuses is left out (and named in the notes) rather than losing all. */
function compileLenient(resources: unknown[], model: ClusterModel, notes: string[]): PolicySet {
  try {
    return compilePolicies(resources, model, { field: 'cluster' })
  } catch (error) {
    if (!(error instanceof CaseError)) throw error
  }
  const kindOf = (r: unknown) => (r as { kind?: string }).kind ?? ''
  const context = resources.filter((r) => ['Tier', 'NetworkSet', 'GlobalNetworkSet'].includes(kindOf(r)))
  const kept: unknown[] = []
  for (const r of resources.filter((x) => !context.includes(x))) {
    try {
      compilePolicies([...context, r], model, { field: 'cluster' })
      kept.push(r)
    } catch (error) {
      notes.push(`${resourceName(r)} left out by the engine: ${error instanceof CaseError ? error.issues[0] : String(error)}`)
    }
  }
  return compilePolicies([...context, ...kept], model, { field: 'cluster' })
}

/** Namespaces, service accounts and policies, compiled with the pods into the engine's model. Never throws. */
export async function readEngineInputs(kc: KubeConfig, action: ProbeMatrixAction, pods: readonly V1Pod[], signal: AbortSignal): Promise<EngineInputs | { problem: string }> {
  const core = abortable(kc, CoreV1Api, signal)
  const custom = abortable(kc, CustomObjectsApi, signal)
  const namespaces = matrixNamespaces(action)
  try {
    const notes: string[] = []
    const [nsList, saLists, k8sPolicies] = await Promise.all([
      core.listNamespace(),
      Promise.all(namespaces.map((namespace) => core.listNamespacedServiceAccount({ namespace }))),
      custom.listClusterCustomObject({ group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies' }) as Promise<RawList>,
    ])
    const plurals: Array<[string, string]> = [['tiers', 'Tier'], ['globalnetworksets', 'GlobalNetworkSet'], ['networksets', 'NetworkSet'], ['globalnetworkpolicies', 'GlobalNetworkPolicy'], ['networkpolicies', 'NetworkPolicy'],
      // staged policies change no verdict but the pending one (policy/staged.ts), which the matrix shows beside Calico's
      ['stagedglobalnetworkpolicies', 'StagedGlobalNetworkPolicy'], ['stagednetworkpolicies', 'StagedNetworkPolicy'], ['stagedkubernetesnetworkpolicies', 'StagedKubernetesNetworkPolicy']]
    const calicoLists = await Promise.all(plurals.map(async ([plural, kind]) => {
      try {
        const list = (await custom.listClusterCustomObject({ group: 'projectcalico.org', version: 'v3', plural })) as RawList
        return (list.items ?? []).map((item) => ({ apiVersion: 'projectcalico.org/v3', kind, ...(item as object) }))
      } catch (error) {
        if (describeClusterError(error).kind === 'not-found') return null
        throw error
      }
    }))
    if (calicoLists.some((l) => l === null)) notes.push('projectcalico.org/v3 is not served (no Calico API server?): Calico resources could not be read; the expectation covers Kubernetes NetworkPolicies only')
    const calico = calicoLists.flatMap((l) => l ?? []).filter((r) => !CONVERTED.test((r as { metadata?: { name?: string } }).metadata?.name ?? ''))
    const strip = (r: unknown) => {
      const { status: _status, ...rest } = r as Record<string, unknown>
      return rest
    }
    const k8s = (k8sPolicies.items ?? []).map((item) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...(item as object) }))
    const resources = [...k8s, ...calico].map(strip)

    const nsInputs: NamespaceInput[] = nsList.items.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} }))
    const saInputs: ServiceAccountInput[] = saLists.flatMap((l) => l.items.map((s) => ({ namespace: s.metadata?.namespace ?? '', name: s.metadata?.name ?? '', labels: s.metadata?.labels ?? {} })))
    const seenIps = new Set<string>()
    const podInputs = pods.flatMap((p) => {
      const input = podInput(p)
      if (!input || seenIps.has(input.ip)) return []
      seenIps.add(input.ip)
      return [input]
    })
    const model = buildModel({ namespaces: nsInputs, pods: podInputs, serviceAccounts: saInputs })
    const policies = compileLenient(resources, model, notes)
    return { model, policies, policyNames: resources.map(resourceName), notes }
  } catch (error) {
    const message = error instanceof CaseError ? error.message : describeClusterError(error).message
    return { problem: `the policies could not be read or compiled, so nothing is expected: ${message}` }
  }
}
