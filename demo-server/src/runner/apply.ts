// `kubectl apply --server-side` and `kubectl delete --ignore-not-found` of the catalog's manifest files,
// through client-node's generic KubernetesObjectApi. Nothing outside the action's namespaces is touched:
// every object is checked before the first one is sent, so a refused file leaves the cluster unchanged.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node'
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import type { ApplyAction, DeleteAction } from '../catalog/types.ts'
import { describeClusterError } from '../cluster.ts'
import type { Outcome, Sink } from './outcome.ts'

export const FIELD_MANAGER = 'calico-live-talk'
/** Written in an action's `namespaces` to allow cluster-scoped objects (GlobalNetworkPolicy, Tier, Namespace…). */
export const CLUSTER_SCOPE = '(cluster)'

/** Kinds with no namespace. Anything else must name its namespace explicitly in the manifest. */
export const clusterScopedKinds = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass',
  'IngressClass', 'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
  // Calico (projectcalico.org/v3) and the Tigera operator (operator.tigera.io/v1)
  'GlobalNetworkPolicy', 'StagedGlobalNetworkPolicy', 'GlobalNetworkSet', 'Tier', 'HostEndpoint', 'IPPool', 'IPReservation',
  'BGPConfiguration', 'BGPPeer', 'FelixConfiguration', 'KubeControllersConfiguration', 'ClusterInformation',
  'Installation', 'APIServer', 'TigeraStatus', 'Goldmane', 'Whisker',
])

export interface ManifestObject extends KubernetesObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string }
}

/** Reads every YAML document of the files, in order; a YAML error names its file. */
export function readManifests(repoRoot: string, files: string[]): ManifestObject[] {
  const objects: ManifestObject[] = []
  for (const file of files) {
    const text = readFileSync(resolve(repoRoot, file), 'utf8')
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`)
      const value = doc.toJS() as ManifestObject | null
      if (value === null) continue // an empty document (comments only)
      if (!value.apiVersion || !value.kind || !value.metadata?.name) throw new Error(`${file}: every document needs apiVersion, kind and metadata.name`)
      objects.push(value)
    }
  }
  return objects
}

/** The reason an object may not be changed by this action, or null when it may. */
export function scopeViolation(object: ManifestObject, allowed: string[]): string | null {
  const id = `${object.kind}/${object.metadata.name}`
  if (clusterScopedKinds.has(object.kind)) {
    return allowed.includes(CLUSTER_SCOPE) ? null : `${id} is cluster-scoped and this action may only change namespaces ${allowed.join(', ') || '(none)'}`
  }
  const ns = object.metadata.namespace
  if (!ns) return `${id} names no namespace; manifests must say where they go`
  return allowed.includes(ns) ? null : `${id} is in namespace ${ns}, which this action may not change (allowed: ${allowed.join(', ') || 'none'})`
}

const described = (o: ManifestObject) => {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ''}/${o.metadata.name}`
}

export async function runManifests(
  kc: KubeConfig,
  action: ApplyAction | DeleteAction,
  repoRoot: string,
  sink: Sink,
  signal: AbortSignal,
): Promise<Outcome> {
  let objects: ManifestObject[]
  try {
    objects = readManifests(repoRoot, action.manifests)
  } catch (error) {
    return { status: 'failed', error: { kind: 'invalid', message: (error as Error).message } }
  }
  const violations = objects.map((o) => scopeViolation(o, action.namespaces)).filter((v): v is string => v !== null)
  if (violations.length > 0) return { status: 'failed', error: { kind: 'invalid', message: violations.join('; ') } }

  const client = KubernetesObjectApi.makeApiClient(kc)
  const ordered = action.kind === 'delete' ? [...objects].reverse() : objects
  for (const object of ordered) {
    if (signal.aborted) return { status: 'cancelled' }
    try {
      if (action.kind === 'apply') {
        await client.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)
        sink.stdout(`${described(object)} serverside-applied\n`)
      } else {
        await client.delete(object)
        sink.stdout(`${described(object)} deleted\n`)
      }
    } catch (error) {
      const failure = describeClusterError(error)
      if (action.kind === 'delete' && failure.kind === 'not-found') continue // --ignore-not-found
      sink.stderr(`Error from server: ${described(object)}: ${failure.message}\n`)
      return { status: 'failed', error: failure }
    }
  }
  return { status: 'succeeded', exitCode: 0 }
}
