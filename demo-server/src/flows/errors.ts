// Why reading flows failed, as a kind the deck can switch on and a sentence a presenter can read aloud.
import { WHISKER_NAMESPACE, WHISKER_PORT, WHISKER_SERVICE } from './whiskerApi.ts'

export type FlowsErrorKind =
  /** no Service calico-system/whisker (or no namespace): Whisker / Goldmane are not enabled */
  | 'not-installed'
  /** the Service exists but no pod behind it is Ready */
  | 'not-ready'
  /** the API server, the port-forward or whisker-backend did not answer */
  | 'unreachable'
  /** RBAC refused a step (get services, list pods, create pods/portforward) */
  | 'forbidden'
  /** whisker-backend answered, but not with the JSON of its release (or a path it does not serve) */
  | 'malformed'
  /** whisker-backend answered with its own error body (Goldmane unavailable, a query it refused) */
  | 'backend-error'
  /** more data than the reader's cap for one answer */
  | 'too-large'
  /** a watch stream ended before it was cancelled */
  | 'stream-dropped'
  /** cancelled by the caller's AbortSignal */
  | 'cancelled'

export class FlowsError extends Error {
  override name = 'FlowsError'
  readonly kind: FlowsErrorKind
  constructor(kind: FlowsErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.kind = kind
  }
}

export const isFlowsError = (e: unknown): e is FlowsError => e instanceof FlowsError

/** The command a presenter would type to reach the same API by hand (shown with every error). */
export const PORT_FORWARD_COMMAND = `kubectl port-forward -n ${WHISKER_NAMESPACE} service/${WHISKER_SERVICE} ${WHISKER_PORT}:${WHISKER_PORT}`

export function notInstalled(detail: string): FlowsError {
  return new FlowsError(
    'not-installed',
    `Calico flow logs are not available: ${detail}. Whisker and Goldmane are enabled by the operator's Goldmane and Whisker ` +
      'resources (manifests/10-calico-installation.yaml).',
  )
}

export function cancelled(): FlowsError {
  return new FlowsError('cancelled', 'reading flow logs was cancelled')
}
