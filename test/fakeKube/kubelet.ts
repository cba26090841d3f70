// What the fake's stand-in kubelet reports for a container it was asked to start: the container status shapes of
// k8s.io/api core/v1 (ContainerStatus, ContainerState{Running,Waiting,Terminated}) with the reasons and messages a
// real kubelet writes. Waiting on an image: the image manager's reasons (pkg/kubelet/images/types.go) and messages
// ("Back-off pulling image %q" from its puller; containerd's resolve error for a missing tag; "Failed to apply
// default image tag %q: …" for an unparsable name).

export type ContainerState =
  | { running: { startedAt: string } }
  | { waiting: { reason: string; message?: string } }
  | { terminated: { exitCode: number; reason: string; startedAt?: string; finishedAt?: string } }

/** The state a new ephemeral container gets; tests script it per pod and container (default: running at once). */
export type EphemeralStarter = (pod: { namespace: string; name: string }, container: { name: string; image: string }) => ContainerState

export const running = (): ContainerState => ({ running: { startedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } })

export const containerCreating = (): ContainerState => ({ waiting: { reason: 'ContainerCreating' } })

/** The kubelet's waiting state for an image it could not get, as `kubectl describe pod` shows it. */
export function imagePullWaiting(reason: 'ErrImagePull' | 'ImagePullBackOff' | 'InvalidImageName', image: string): ContainerState {
  switch (reason) {
    case 'ErrImagePull':
      return { waiting: { reason, message: `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found` } }
    case 'ImagePullBackOff':
      return { waiting: { reason, message: `Back-off pulling image "${image}"` } }
    case 'InvalidImageName':
      return { waiting: { reason, message: `Failed to apply default image tag "${image}": couldn't parse image reference "${image}": invalid reference format` } }
  }
}

/** A V1ContainerStatus for `container` in `state`. */
export function containerStatus(container: { name: string; image: string }, state: ContainerState): object {
  const isRunning = 'running' in state
  return {
    name: container.name,
    image: container.image,
    imageID: isRunning ? `${container.image.replace(/:[^:/]+$/, '')}@sha256:${'0'.repeat(64)}` : '',
    ...(isRunning ? { containerID: `containerd://${Buffer.from(container.name).toString('hex').padEnd(64, '0').slice(0, 64)}` } : {}),
    ready: false,
    restartCount: 0,
    started: isRunning,
    state,
    lastState: {},
  }
}
