// v1 Status bodies, shaped exactly like the ones the real API server returns for failures.
import { STATUS_CODES } from 'node:http'

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  uid?: string
  causes?: Array<{ reason?: string; message?: string; field?: string }>
}

export interface V1StatusBody {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Success' | 'Failure'
  message?: string
  reason?: string
  details?: StatusDetails
  code: number
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
}

/** The `reason` the API server uses for an HTTP status code ('' when it has none). */
export function reasonFor(code: number): string {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : '')
}

export function failure(code: number, message: string, reason = reasonFor(code), details?: StatusDetails): V1StatusBody {
  const body: V1StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code }
  if (reason) body.reason = reason
  if (details) body.details = details
  return body
}

export function success(details?: StatusDetails): V1StatusBody {
  const body: V1StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 }
  if (details) body.details = details
  return body
}

/** `pods "web" not found` / `deployments.apps "web" not found` */
export function notFound(resource: string, group: string, name: string): V1StatusBody {
  const qualified = group ? `${resource}.${group}` : resource
  return failure(404, `${qualified} "${name}" not found`, 'NotFound', { name, group: group || undefined, kind: resource })
}

export function alreadyExists(resource: string, group: string, name: string): V1StatusBody {
  const qualified = group ? `${resource}.${group}` : resource
  return failure(409, `${qualified} "${name}" already exists`, 'AlreadyExists', { name, group: group || undefined, kind: resource })
}

export const unknownResource = (): V1StatusBody => failure(404, 'the server could not find the requested resource', 'NotFound', {})

export const badRequest = (message: string): V1StatusBody => failure(400, message, 'BadRequest')

/** A generic body for a status code forced by a test. */
export function forced(code: number, method: string, path: string): V1StatusBody {
  const text = STATUS_CODES[code] ?? 'Error'
  return failure(code, `${text} (forced by fake-kube for ${method} ${path})`)
}
