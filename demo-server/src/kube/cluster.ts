// Cluster access: which kubeconfig and context, and whether the API server answers right now.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig, VersionApi } from '@kubernetes/client-node'
import type { ClusterHealth, FailureKind } from '../protocol.ts'
import { abortable } from './clients.ts'

export interface ClusterAccess {
  /** null when there is no kubeconfig at all: the deck runs offline (replays only) */
  kubeConfig: KubeConfig | null
  context: string | null
  server: string | null
  /** why there is no cluster, when there is none */
  problem: string | null
}

/** Loads the kubeconfig the way kubectl does (KUBECONFIG, then ~/.kube/config, then in-cluster), optionally switching context. */
export function loadClusterAccess(contextName?: string, env: NodeJS.ProcessEnv = process.env): ClusterAccess {
  const paths = (env.KUBECONFIG ?? '').split(':').filter(Boolean)
  const candidates = paths.length > 0 ? paths : [join(env.HOME ?? homedir(), '.kube', 'config')]
  const inCluster = Boolean(env.KUBERNETES_SERVICE_HOST)
  if (!inCluster && !candidates.some((p) => existsSync(p))) {
    return {
      kubeConfig: null,
      context: null,
      server: null,
      problem: `no kubeconfig found (looked at ${candidates.join(', ')}); set KUBECONFIG or run npm run cluster:kind`,
    }
  }
  const kc = new KubeConfig()
  try {
    kc.loadFromDefault()
  } catch (error) {
    return { kubeConfig: null, context: null, server: null, problem: `kubeconfig could not be read: ${(error as Error).message}` }
  }
  if (contextName) {
    if (!kc.getContextObject(contextName)) {
      const known = kc.getContexts().map((c) => c.name).join(', ') || 'none'
      return { kubeConfig: null, context: contextName, server: null, problem: `context "${contextName}" is not in the kubeconfig (known: ${known})` }
    }
    kc.setCurrentContext(contextName)
  }
  const context = kc.getCurrentContext() || null
  const server = kc.getCurrentCluster()?.server ?? null
  if (!context || !server) {
    return { kubeConfig: null, context, server, problem: 'the kubeconfig has no current context with a cluster' }
  }
  return { kubeConfig: kc, context, server, problem: null }
}

/** One look at the API server: its version, or why it did not answer. */
export async function checkHealth(access: ClusterAccess, timeoutMs = 3000): Promise<ClusterHealth> {
  const base = { context: access.context, server: access.server, checkedAt: new Date().toISOString() }
  if (!access.kubeConfig) {
    return { ...base, mode: 'offline', version: null, reachable: false, message: `offline: no cluster — ${access.problem}` }
  }
  try {
    const info = await abortable(access.kubeConfig, VersionApi, AbortSignal.timeout(timeoutMs)).getCode()
    return { ...base, mode: 'live', version: info.gitVersion, reachable: true, message: `live: ${access.context} (${info.gitVersion})` }
  } catch (error) {
    const { message } = describeClusterError(error, timeoutMs)
    return { ...base, mode: 'offline', version: null, reachable: false, message: `offline: ${message}` }
  }
}

/**
 * Turns whatever client-node threw into a failure kind and a sentence a presenter can read aloud. A request ended by
 * an `AbortSignal.timeout(ms)` says so (pass `timeoutMs` to name the limit).
 */
export function describeClusterError(error: unknown, timeoutMs?: number): { kind: FailureKind; message: string } {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return { kind: 'timeout', message: timeoutMs === undefined ? 'the API server did not answer in time' : `the API server did not answer within ${timeoutMs} ms` }
  }
  const e = error as { code?: unknown; body?: unknown; message?: string; cause?: { code?: string; message?: string } }
  const status = typeof e.code === 'number' ? e.code : httpStatusFromMessage(e.message)
  if (status !== undefined) {
    const reason = statusMessage(e.body) ?? `HTTP ${status}`
    if (status === 401 || status === 403) return { kind: 'forbidden', message: `the API server refused: ${reason}` }
    if (status === 404) return { kind: 'not-found', message: reason }
    return { kind: 'api-error', message: `the API server answered ${status}: ${reason}` }
  }
  const code = e.cause?.code ?? (typeof e.code === 'string' ? e.code : undefined) ?? errnoFromMessage(e.message)
  if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET'].includes(code)) {
    return { kind: 'unreachable', message: `the API server is unreachable (${code})` }
  }
  const text = e.message ?? e.cause?.message ?? String(error)
  if (/fetch failed|socket hang up|connect/i.test(text)) return { kind: 'unreachable', message: `the API server is unreachable (${text})` }
  return { kind: 'api-error', message: text }
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body))
    } catch {
      return body.slice(0, 300) || undefined
    }
  }
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message
  return undefined
}

function httpStatusFromMessage(message: string | undefined): number | undefined {
  const match = /Unexpected server response: (\d{3})/.exec(message ?? '') ?? /^HTTP-Code: (\d{3})/.exec(message ?? '')
  return match ? Number(match[1]) : undefined
}

function errnoFromMessage(message: string | undefined): string | undefined {
  return /\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|ETIMEDOUT|EAI_AGAIN)\b/.exec(message ?? '')?.[1]
}
