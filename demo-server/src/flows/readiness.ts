// Is Calico's flow-log path ready for the demo? Two preflight checks (`npm run demo:check`, the preflight slide):
// Goldmane, and Whisker with a Ready pod the reader can reach. The operator reports each component in a TigeraStatus
// named after it (tigera/operator v1.40.15 pkg/controller/goldmane/controller.go:57, pkg/controller/whisker/
// controller.go:59: status.New(…, "goldmane" / "whisker")); the reader then finds the pod the way it will read it
// (reader.ts locate(): Service calico-system/whisker, a Ready pod behind its selector).
//
// The checks are built with the preflight's own makers, so this file needs nothing from it.
import { FlowsError, PORT_FORWARD_COMMAND } from './errors.ts'
import type { FlowsErrorKind } from './errors.ts'
import { WHISKER_NAMESPACE, WHISKER_SERVICE } from './whiskerApi.ts'

interface TigeraStatusLike {
  metadata?: { name?: string }
  status?: { conditions?: Array<{ type?: string; status?: string; message?: string; reason?: string }> }
}

/** What the preflight read (preflight.ts Fetched). */
type Read<T> = { ok: true; value: T } | { ok: false; error: string; notFound: boolean }

export interface CheckMakers<C> {
  pass(id: string, title: string, detail: string): C
  fail(id: string, title: string, detail: string, fix: string): C
  skip(id: string, title: string, detail: string): C
}

const INSTALL = 'kubectl apply --server-side -f manifests/10-calico-installation.yaml'

export const FLOW_LOG_TITLES = {
  goldmane: 'Goldmane Available (Calico flow logs API, tech preview)',
  whisker: `Whisker Available, a Ready pod behind service/${WHISKER_SERVICE}`,
} as const

/** The TigeraStatuses of the flow-log components: the others are the preflight's Calico check. */
export const FLOW_LOG_COMPONENTS = ['goldmane', 'whisker'] as const

/** What to do when the reader cannot find the pod, by why. */
const LOCATE_FIX: Record<FlowsErrorKind, string> = {
  'not-installed': `${INSTALL} (its Whisker resource); kubectl get tigerastatus whisker`,
  'not-ready': `kubectl get pods -n ${WHISKER_NAMESPACE} -l k8s-app=whisker -o wide; kubectl describe deploy -n ${WHISKER_NAMESPACE} whisker`,
  unreachable: 'kubectl get --raw /readyz; is the API server reachable from this machine?',
  forbidden: `the demo server's identity needs get services, list pods and create pods/portforward in ${WHISKER_NAMESPACE} (README, "RBAC")`,
  malformed: `kubectl get service -n ${WHISKER_NAMESPACE} ${WHISKER_SERVICE} -o yaml`,
  'backend-error': `kubectl logs -n ${WHISKER_NAMESPACE} deploy/whisker -c whisker-backend`,
  'too-large': `kubectl get pods -n ${WHISKER_NAMESPACE} -l k8s-app=whisker`,
  'stream-dropped': `kubectl logs -n ${WHISKER_NAMESPACE} deploy/whisker -c whisker-backend`,
  cancelled: 'npm run demo:check',
}

function available(x: TigeraStatusLike | undefined): { ok: boolean; why: string } {
  const conditions = x?.status?.conditions ?? []
  if (conditions.some((c) => c.type === 'Available' && c.status === 'True')) return { ok: true, why: '' }
  const telling = conditions.find((c) => c.status === 'True' && (c.type === 'Degraded' || c.type === 'Progressing')) ?? conditions.find((c) => c.type === 'Available')
  return { ok: false, why: telling ? `${telling.type}${telling.reason ? ` (${telling.reason})` : ''}${telling.message ? `: ${telling.message}` : ''}` : 'no conditions yet' }
}

/**
 * Goldmane and Whisker, each with its fix. `locate` is the reader's (reader.ts WhiskerFlowsReader.locate); `signal`
 * may carry a timeout (a TimeoutError reason is a failed check, any other abort ends the preflight).
 */
export async function flowLogChecks<C>(
  tigerastatuses: Read<TigeraStatusLike[]>,
  locate: (signal?: AbortSignal) => Promise<{ pod: string; port: number }>,
  make: CheckMakers<C>,
  signal?: AbortSignal,
): Promise<C[]> {
  const t = FLOW_LOG_TITLES
  if (!tigerastatuses.ok) return [make.skip('goldmane', t.goldmane, 'TigeraStatus not read (see the Calico check)'), make.skip('whisker', t.whisker, 'TigeraStatus not read (see the Calico check)')]
  const byName = new Map(tigerastatuses.value.map((x) => [x.metadata?.name ?? '', x]))
  const checks: C[] = []

  const goldmane = byName.get('goldmane')
  const g = available(goldmane)
  if (!goldmane) checks.push(make.fail('goldmane', t.goldmane, 'no TigeraStatus goldmane: the operator has no Goldmane resource to reconcile', `${INSTALL} (its Goldmane resource)`))
  else if (!g.ok) checks.push(make.fail('goldmane', t.goldmane, `not Available — ${g.why}`, `kubectl describe tigerastatus goldmane; kubectl get deploy -n ${WHISKER_NAMESPACE} goldmane`))
  else checks.push(make.pass('goldmane', t.goldmane, 'Available: Felix sends it flows every 15 s'))

  const whisker = byName.get('whisker')
  const w = available(whisker)
  if (!whisker) {
    checks.push(make.fail('whisker', t.whisker, 'no TigeraStatus whisker: the operator has no Whisker resource to reconcile', `${INSTALL} (its Whisker resource; Whisker needs Goldmane)`))
  } else if (!w.ok) {
    checks.push(make.fail('whisker', t.whisker, `not Available — ${w.why}`, `kubectl describe tigerastatus whisker; kubectl get pods -n ${WHISKER_NAMESPACE} -l k8s-app=whisker`))
  } else {
    try {
      const { pod, port } = await locate(signal)
      checks.push(make.pass('whisker', t.whisker, `pod ${pod} Ready on ${port}; by hand: ${PORT_FORWARD_COMMAND}`))
    } catch (error) {
      if (!(error instanceof FlowsError)) throw error
      const timedOut = (signal?.reason as Error | undefined)?.name === 'TimeoutError'
      if (signal?.aborted && !timedOut) throw signal.reason
      checks.push(timedOut
        ? make.fail('whisker', t.whisker, `no answer in time while looking for the whisker pod (${error.message})`, LOCATE_FIX.unreachable)
        : make.fail('whisker', t.whisker, error.message, LOCATE_FIX[error.kind]))
    }
  }
  return checks
}
