// What a demo step is. The catalog is the only list of things the browser can make the server do: the deck names an
// action by id and may pass parameters, which the action's own zod schema validates. The command shown on the slide is
// never typed here: it is built from these fields (runner/shownCommand.ts), so it cannot drift from what runs.
import type { z } from 'zod'
import type { HostArgv, Lab } from '../host/programs.ts'
import type { ExecWorkload } from '../kube/pods.ts'

export type { Lab } from '../host/programs.ts'
export type Params = Record<string, string | number | boolean>

interface ActionBase<P extends Params = Params> {
  /** stable id the slides use: `<LiveRun action="nodes-wide"/>` */
  id: string
  /** short human title shown above the output */
  title: string
  /** namespaces this action may read or change; anything else is refused before it runs */
  namespaces: string[]
  /** hard limit for one run, ms */
  timeoutMs: number
  /** schema for the parameters the deck may pass; absent means "takes none" */
  params?: z.ZodType<P>
}

/** `kubectl exec -n NAMESPACE WORKLOAD -c CONTAINER -- COMMAND`, in the pod kubectl would pick (kube/pods.ts). */
export interface ExecAction<P extends Params = Params> extends ActionBase<P> {
  kind: 'exec'
  namespace: string
  /** `{ deployment: 'ratings-v1' }` → `deploy/ratings-v1`, `{ daemonSet }` → `ds/…`, `{ pod }` → the pod itself */
  target: ExecWorkload
  container?: string
  /** argv run in the container (no shell unless the catalog itself writes `sh -c`) */
  command: string[] | ((params: P) => string[])
}

/** Resources a table action can list, each rendered like `kubectl get` prints it (runner/table.ts). */
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
  | 'caliconodestatuses'
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
  /** label selector (`-l`) */
  selector?: string
  /** `-o custom-columns=HEADER:.path,…`, printed exactly as kubectl prints them (`<none>` when missing, `[*]` joins a list) */
  columns?: Array<{ header: string; path: string }>
}

/** `kubectl apply --server-side -f FILES` through client-node's KubernetesObjectApi. */
export interface ApplyAction<P extends Params = Params> extends ActionBase<P> {
  kind: 'apply'
  /** paths relative to the repository root, applied in order */
  manifests: string[]
  /** an action id the Runner starts once this one succeeds (server-side: one execution however many windows watch) */
  then?: string
}

/** `kubectl delete -f FILES --ignore-not-found` through KubernetesObjectApi. */
export interface DeleteAction<P extends Params = Params> extends ActionBase<P> {
  kind: 'delete'
  manifests: string[]
  /** as for apply: started after a success */
  then?: string
}

/** A row of a probe matrix: where probes leave from. */
export interface MatrixSource {
  id: string
  label: string
  group: 'bookinfo' | 'alpine' | 'outside'
  /**
   * A pod, picked as exec steps pick theirs (kube/pods.ts pickPod). `via: 'exec'` runs the probe in `container`;
   * `via: 'debug'` in an ephemeral busybox container added to the pod (its image has no client).
   */
  pod?: { namespace: string; selector: string; via: 'exec' | 'debug'; container?: string }
  /**
   * A client outside the cluster, reached with a fixed argv prefix per lab (HOST_PROGRAMS only, no shell), followed
   * by the server-built probe command. `ip` is its address as the policies see it. `reaches: 'external'`: only targets
   * with an `external` address are probed (the rest are marked "not probed", with `unprobed` as the reason).
   */
  outside?: { ip: string; argv: Record<Lab, HostArgv>; curlArgs?: Partial<Record<Lab, string[]>>; reaches: 'external' | 'external-and-pods'; unprobed?: string }
}

/** A column of a probe matrix: a Service (HTTP on `port`) or the cluster DNS. */
export interface MatrixTarget {
  id: string
  label: string
  kind: 'http' | 'dns'
  namespace: string
  /** the Service name probes use: <service>.<namespace>.svc.cluster.local */
  service: string
  /** the Service's backends (label selector), for the engine */
  selector: string
  port: number
  protocol: 'TCP' | 'UDP'
  /** how outside clients reach it (a LoadBalancer address and port), if they can */
  external?: { ip: string; port: number }
}

/**
 * Every source probes every target, in parallel (bounded): stdout is one JSON line per opinion (matrix/wire.ts) —
 * first the engine's expectation on the policies live in the cluster, then each observation.
 */
export interface ProbeMatrixAction extends ActionBase {
  kind: 'probe-matrix'
  sources: MatrixSource[]
  targets: MatrixTarget[]
  /** per-probe timeout (every tool bounds itself at it): no answer within it is "denied: dropped" */
  probeTimeoutSeconds: number
  /** probes running at once */
  concurrency: number
  /** image of the ephemeral debug container (busybox: nc, nslookup, sh) */
  debugImage: string
  /** offline expectation: the engine on this folder's YAML (relative to the repository root) */
  manifestsDir: string
  /**
   * the demo moment this matrix shows: how many policy steps (policySteps.ts, in order) are applied. The offline
   * expectation leaves the later step files out; omitted means every policy in manifestsDir.
   */
  policyStepsApplied?: number
  /**
   * Calico's own verdict per cell (matrix/calicoOpinion.ts): after the probes, the run reads Calico's flow logs
   * (flows touching `namespaces`) until every probed cell has its records or `deadlineSeconds` have passed since
   * the last probe, reading every `pollSeconds`; no answer is final before `flushSeconds` (Felix's flush interval)
   * have passed since the last probe. Omitted: no third opinion.
   */
  flowLogs?: { namespaces: string[]; deadlineSeconds: number; pollSeconds: number; flushSeconds: number }
}

/**
 * Calico's flow logs from whisker-backend (flows/reader.ts) through a port-forward to the whisker pod in
 * calico-system: the flows with a source or a destination in `flowNamespaces`, one JSON record (the release's
 * FlowResponse) per stdout line. `list`: the flows of the last `windowSeconds`, newest first. `stream`: Goldmane's
 * watch, backfilled from `backfillSeconds` ago, until `durationSeconds` have passed, `maxRecords` were written or the
 * presenter stops it. No parameters.
 */
export interface FlowsAction extends ActionBase {
  kind: 'flows'
  mode: 'list' | 'stream'
  /** flows touching these namespaces (source or destination); each must be in `namespaces` */
  flowNamespaces: string[]
  /** list: how far back; stream: the backfill */
  windowSeconds: number
  /** stream only: how long it watches before it ends by itself */
  durationSeconds?: number
  /** at most this many records written (a list keeps the newest) */
  maxRecords: number
  params?: undefined
}

/**
 * Runs one fixed argv on the presenter's machine (outside clients are not pods: the Kubernetes API can't reach
 * them), chosen by lab, with no shell; stdout and stderr streamed, exit code reported like an exec. No parameters:
 * the deck can only name the action. Its slide line is the command itself — there is no kubectl equivalent.
 */
export interface HostAction {
  id: string
  title: string
  kind: 'host'
  argv: Record<Lab, HostArgv>
  namespaces: []
  timeoutMs: number
  params?: undefined
}

/** `kubectl rollout restart` of a Deployment, then its namespace's events streamed until the rollout completes. */
export interface RolloutAction<P extends Params = Params> extends ActionBase<P> {
  kind: 'rollout'
  namespace: string
  deployment: string
}

/** The preflight checklist (`npm run demo:check`), read through the API: is the lab ready for the demo? */
export interface PreflightAction {
  id: string
  title: string
  kind: 'preflight'
  /** the command a presenter runs for the same checklist: no field says it, so it is written here */
  shownCommand: 'npm run demo:check -- --summary'
  namespaces: []
  timeoutMs: number
  params?: undefined
}

/**
 * host1's kernel routes (a fixed argv per lab, run as host steps run theirs) judged against the node that runs the
 * Ready endpoint (read through the API: pod → spec.nodeName → the node's InternalIP), printed beside what the lab's
 * manifests say host1 should learn for that node (the routing twin's confd view: labelled expected, never read).
 */
export interface BgpRoutesAction {
  id: string
  title: string
  kind: 'bgp-routes'
  /** where the endpoint is found: `kubectl get pods -n NAMESPACE -l SELECTOR -o wide`, then `kubectl get nodes -o wide` */
  endpoint: { namespace: string; selector: string }
  /** host1's table as iproute2 JSON (`ip -j`), per lab */
  argv: Record<Lab, HostArgv>
  namespaces: string[]
  timeoutMs: number
  params?: undefined
}

export type Action = ExecAction<any> | TableAction<any> | ApplyAction<any> | DeleteAction<any> | HostAction | PreflightAction | RolloutAction<any> | ProbeMatrixAction | BgpRoutesAction | FlowsAction // eslint-disable-line @typescript-eslint/no-explicit-any
export type ActionKind = Action['kind']
