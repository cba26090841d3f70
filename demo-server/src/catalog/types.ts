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
  /**
   * `-o custom-columns=HEADER:.path,…`: printed exactly as kubectl prints them (`<none>` when missing, `[*]` joins a
   * list with commas). The kubectl line on the slide must carry the same columns.
   */
  columns?: Array<{ header: string; path: string }>
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

/** Which lab the demo server talks to: the kind rehearsal or the VMs (chooses a host action's argv). */
export type Lab = 'kind' | 'vms'

/** Programs a host action may start; anything else is refused before it runs. */
export const HOST_PROGRAMS = ['docker', 'multipass'] as const

/**
 * Runs one fixed argv on the presenter's machine (outside clients are not pods: the Kubernetes API can't reach
 * them), chosen by lab, with no shell; stdout and stderr streamed, exit code reported like an exec. No parameters:
 * the deck can only name the action. Its slide line is the command itself — there is no kubectl equivalent.
 */
export interface HostAction {
  id: string
  title: string
  kind: 'host'
  argv: Record<Lab, readonly [(typeof HOST_PROGRAMS)[number], ...string[]]>
  namespaces: []
  timeoutMs: number
  params?: undefined
}

export type Action = ExecAction<any> | TableAction<any> | ApplyAction<any> | DeleteAction<any> | HostAction // eslint-disable-line @typescript-eslint/no-explicit-any
export type ActionKind = Action['kind']

/** The command line shown on the slide for a host action (what the presenter would type). */
export function hostCommandLine(action: HostAction, lab: Lab): string {
  return action.argv[lab].map((a) => (/^[\w./:=@%+,-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ')
}

/** The line shown on the slide: the kubectl equivalent, or for a host action its own command. */
export function kubectlLine(action: Action, params: Params = {}, lab: Lab = 'kind'): string {
  if (action.kind === 'host') return hostCommandLine(action, lab)
  return typeof action.kubectl === 'function' ? action.kubectl(params) : action.kubectl
}
