// client-node clients that carry a run's AbortSignal into every request, watch and exec socket: cancelling a run, or
// its timeout, ends the work on the wire, not just the wait for it.
//
// How the signal reaches the wire (client-node 2.x): every request of a generated API goes through the configuration's
// middleware, whose `pre` hook gets the RequestContext; `setSignal` there becomes `fetch(…, { signal })` in
// IsomorphicFetchHttpLibrary. KubernetesObjectApi ignores per-call middleware, so the signal goes into the
// configuration the client is built with. Exec sockets come from WebSocketHandler's socket factory (its documented
// constructor seam), so a cancel closes the socket even while the handshake is still in flight. A Watch hands back its
// own AbortController once it is connected.
import WebSocket from 'ws'
import { Exec, KubernetesObjectApi, Observable, Watch } from '@kubernetes/client-node'
import type { ApiType, Configuration, KubeConfig, ObservableMiddleware } from '@kubernetes/client-node'
// client-node does not re-export WebSocketHandler; its constructor is the seam for our own socket
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js'

function signalMiddleware(signal: AbortSignal): ObservableMiddleware {
  return {
    pre(context) {
      context.setSignal(signal)
      return new Observable(Promise.resolve(context))
    },
    post: (response) => new Observable(Promise.resolve(response)),
  }
}

/**
 * `kc.makeApiClient(Api)` (server, credentials and TLS as the kubeconfig says) plus one middleware that puts `signal`
 * on every request the client sends.
 */
export function abortable<T extends ApiType>(kc: KubeConfig, Api: new (config: Configuration) => T, signal: AbortSignal): T {
  class WithSignal {
    constructor(config: Configuration) {
      // a constructor may hand back another object: the real client, built on the extended configuration
      return new Api({ ...config, middleware: [...config.middleware, signalMiddleware(signal)] })
    }
  }
  return kc.makeApiClient(WithSignal as unknown as new (config: Configuration) => T)
}

/**
 * KubernetesObjectApi (generic apply / delete) whose every request carries `signal`. Objects must name their namespace
 * (manifests.ts scopeViolation refuses those that do not), so the context's default namespace is never used.
 */
export function abortableObjectApi(kc: KubeConfig, signal: AbortSignal): KubernetesObjectApi {
  return abortable(kc, KubernetesObjectApi, signal)
}

/** An Exec whose sockets close when `signal` aborts, the handshake included. */
export function abortableExec(kc: KubeConfig, signal: AbortSignal): Exec {
  const handler = new WebSocketHandler(kc, (uri, protocols, options) => {
    const socket = new WebSocket(uri, protocols, options)
    const close = (): void => socket.close()
    if (signal.aborted) queueMicrotask(close)
    else signal.addEventListener('abort', close, { once: true })
    socket.once('close', () => signal.removeEventListener('abort', close))
    return socket
  })
  return new Exec(kc, handler)
}

/**
 * A watch on `path` that ends when `signal` aborts (or its stream ends). Resolves once connected, with a promise of
 * how it ended: null when it was stopped or the server closed it, the error otherwise.
 */
export async function abortableWatch(
  kc: KubeConfig,
  signal: AbortSignal,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (phase: string, object: unknown) => void,
): Promise<{ ended: Promise<unknown> }> {
  let end: (error: unknown) => void = () => {}
  const ended = new Promise<unknown>((resolve) => (end = resolve))
  const controller = await new Watch(kc).watch(path, query, onEvent, (error: unknown) => end(error ?? null))
  const stop = (): void => controller.abort()
  if (signal.aborted) stop()
  else signal.addEventListener('abort', stop, { once: true })
  void ended.then(() => signal.removeEventListener('abort', stop))
  return { ended }
}
