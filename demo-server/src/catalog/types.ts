// What a demo step is. The catalog is the only list of things the browser can make the server do:
// the deck names an action by id and may pass parameters, which the action's own zod schema validates.
import type { z } from 'zod'

export type Params = Record<string, string | number | boolean>

interface ActionBase<P extends Params = Params> {
  /** stable id the slides use: `<LiveRun action="nodes-wide"/>` */
  id: string
  /** short human title shown above the output */
  title: string
  /** the equivalent kubectl command line, shown on the slide (a function when parameters change it) */
  kubectl: string | ((params: P) => string)
  /** namespaces this action may read or change; anything else is refused before it runs */
  namespaces: string[]
  /** hard limit for one run, ms */
  timeoutMs: number
  /** schema for the parameters the deck may pass; absent means "takes none" */
  params?: z.ZodType<P>
}

/** `kubectl exec` in the first Running pod matching `selector` in `namespace`. */
export interface ExecAction<P extends Params = Params> extends ActionBase<P> {
  kind: 'exec'
  namespace: string
  /** label selector, e.g. `app=ratings` */
  selector: string
  container?: string
  /** argv run in the container (no shell unless the catalog itself writes `sh -c`) */
  command: string[] | ((params: P) => string[])
}

/** Resources a table action can list, each rendered like `kubectl get` prints it. */
export type TableResource =
  | 'nodes'
  | 'pods'
  | 'services'
  | 'deployments'
  | 'replicasets'
  | 'namespaces'
  | 'events'
  | 'all'
  // Calico / operator custom resources (read through CustomObjectsApi)
  | 'ippools'
  | 'ipamblocks'
  | 'blockaffinities'
  | 'tigerastatuses'
  | 'networkpolicies.projectcalico.org'
  | 'globalnetworkpolicies.projectcalico.org'
  | 'networkpolicies'

/** `kubectl get RESOURCE` through the typed client-node APIs, printed as a kubectl-style table. */
export interface TableAction<P extends Params = Params> extends ActionBase<P> {
  kind: 'table'
  resource: TableResource
  /** omitted: cluster-scoped resource, or all namespaces when `allNamespaces` */
  namespace?: string
  allNamespaces?: boolean
  /** `-o wide` columns */
  wide?: boolean
  /** label selector */
  selector?: string
}

/** `kubectl apply --server-side -f FILES` through client-node's KubernetesObjectApi. */
export interface ApplyAction<P extends Params = Params> extends ActionBase<P> {
  kind: 'apply'
  /** paths relative to the repository root, applied in order */
  manifests: string[]
}

/** `kubectl delete -f FILES --ignore-not-found` through KubernetesObjectApi. */
export interface DeleteAction<P extends Params = Params> extends ActionBase<P> {
  kind: 'delete'
  manifests: string[]
}

export type Action = ExecAction<any> | TableAction<any> | ApplyAction<any> | DeleteAction<any> // eslint-disable-line @typescript-eslint/no-explicit-any
export type ActionKind = Action['kind']

/** The kubectl line for an action with (already validated) parameters. */
export function kubectlLine(action: Action, params: Params = {}): string {
  return typeof action.kubectl === 'function' ? action.kubectl(params) : action.kubectl
}
