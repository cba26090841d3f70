// The repository's YAML manifests, read one way for everyone (apply and delete steps, the catalog's checks, the
// policy engine, demo:reset, the tests): strict YAML (a duplicate key or a YAML warning is an error naming its file and
// document), empty documents skipped, `kind: List` opened into its items. Also: which objects a step may change.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { parseAllDocuments } from 'yaml'

export interface ManifestDoc {
  /** the path as given (repository-relative for the lab's files) */
  file: string
  /** position of the document in its file, from 0 */
  index: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- YAML: any shape; callers validate what they use
  object: any
}

/** Every document of a YAML text. */
export function parseManifestText(text: string, file: string): ManifestDoc[] {
  const docs: ManifestDoc[] = []
  parseAllDocuments(text, { strict: true, uniqueKeys: true }).forEach((doc, index) => {
    const problem = doc.errors[0] ?? doc.warnings[0]
    if (problem) throw new Error(`${file} document ${index}: ${problem.message}`)
    const value = doc.toJS() as unknown
    if (value === null || value === undefined) return // comments only
    const items = (value as { kind?: unknown; items?: unknown }).kind === 'List' ? (value as { items?: unknown }).items : undefined
    if (Array.isArray(items)) for (const item of items) docs.push({ file, index, object: item })
    else docs.push({ file, index, object: value })
  })
  return docs
}

/** Every document of the files (relative to `root`), in order. */
export function readManifestDocs(root: string, files: readonly string[]): ManifestDoc[] {
  return files.flatMap((file) => parseManifestText(readFileSync(resolve(root, file), 'utf8'), file))
}

/** The *.yaml / *.yml files under `dir`, sorted, recursively, relative to `root`. */
export function manifestFilesIn(root: string, dir: string): string[] {
  const walk = (path: string): string[] =>
    readdirSync(path).sort().flatMap((entry) => {
      const full = join(path, entry)
      if (statSync(full).isDirectory()) return walk(full)
      return /\.ya?ml$/.test(entry) ? [relative(root, full)] : []
    })
  return walk(resolve(root, dir))
}

export interface ManifestObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; [key: string]: unknown }
  [key: string]: unknown
}

/** The objects of the files, each with apiVersion, kind and metadata.name (else an error naming the file). */
export function readManifests(root: string, files: readonly string[]): ManifestObject[] {
  return readManifestDocs(root, files).map(({ file, index, object }) => {
    const o = object as Partial<ManifestObject>
    if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new Error(`${file} document ${index}: every document needs apiVersion, kind and metadata.name`)
    return o as ManifestObject
  })
}

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

/** The reason an object may not be changed by a step allowed `allowed` namespaces, or null when it may. */
export function scopeViolation(object: ManifestObject, allowed: readonly string[]): string | null {
  const id = `${object.kind}/${object.metadata.name}`
  if (clusterScopedKinds.has(object.kind)) {
    return allowed.includes(CLUSTER_SCOPE) ? null : `${id} is cluster-scoped and this action may only change namespaces ${allowed.join(', ') || '(none)'}`
  }
  const ns = object.metadata.namespace
  if (!ns) return `${id} names no namespace; manifests must say where they go`
  return allowed.includes(ns) ? null : `${id} is in namespace ${ns}, which this action may not change (allowed: ${allowed.join(', ') || 'none'})`
}

/** `networkpolicy.projectcalico.org/details`: an object as kubectl names it in its output. */
export function kubectlName(o: ManifestObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ''}/${o.metadata.name}`
}

/** The repository this demo server belongs to: where manifests/ is. */
export { REPO_ROOT } from './repoRoot.ts'
