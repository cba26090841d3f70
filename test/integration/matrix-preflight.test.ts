// `npm run demo:check`'s debug-image check against the fake API server: the matrix's debug containers are added to the
// bookinfo pods ahead of the demo and each is reported Running; an image the kubelet cannot pull fails the check at
// once, with the kubelet's reason and the fix; after the fix, the next check adds fresh containers (a stuck one is never
// reused).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube, KubeObject } from '../fakeKube/server.ts'
import { containerCreating, imagePullWaiting } from '../fakeKube/kubelet.ts'
import { reachMatrix } from '../../demo-server/src/catalog/matrices.ts'
import { debugImageCheck } from '../../demo-server/src/matrix/debugImage.ts'
import { formatChecklist, runPreflight } from '../../demo-server/src/preflight.ts'
import { labObjects } from '../support/labObjects.ts'

let fake: FakeKube
before(async () => {
  fake = await startFakeKube({ objects: labObjects() })
})
after(async () => {
  await fake.close()
})

type Ephemeral = { name: string; image: string }
const bookinfoPods = () => (fake.objects() as KubeObject[]).filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'dev1' && o.metadata.name !== 'alpine')
const ephemeral = (o: KubeObject): Ephemeral[] => ((o.spec as { ephemeralContainers?: Ephemeral[] }).ephemeralContainers ?? [])
const missingImage = { ...reachMatrix, debugImage: 'docker.io/library/busybox:9.99' }

test('healthy: a debug container Running in each of the six bookinfo pods, the nodes named', async () => {
  const check = await debugImageCheck(fake.kubeConfig(), { lab: 'kind', reachable: true, pollMs: 50 })
  assert.equal(check.status, 'pass', check.detail)
  assert.match(check.detail, /^6\/6 Running \(/)
  assert.match(check.detail, /docker\.io\/library\/busybox:1\.36 pulled on node1, node2/)
  assert.doesNotMatch(check.detail, /control/, 'the control plane runs no bookinfo pod and is not expected to')
  for (const pod of bookinfoPods()) assert.deepEqual(ephemeral(pod).map((c) => c.name), ['reach-probe'], pod.metadata.name)
  // again: the running ones are reused, nothing is added
  assert.equal((await debugImageCheck(fake.kubeConfig(), { lab: 'kind', reachable: true, pollMs: 50 })).status, 'pass')
  for (const pod of bookinfoPods()) assert.equal(ephemeral(pod).length, 1)
})

test('registered in the preflight: its line in the checklist demo:check prints', async () => {
  const checks = await runPreflight(fake.kubeConfig('kind-calico-lab'))
  const check = checks.find((c) => c.id === 'debug-image')
  assert.ok(check, 'the checklist has it')
  assert.ok(checks.indexOf(check) > checks.findIndex((c) => c.id === 'outside'), 'after the outside clients')
  assert.equal(check.status, 'pass')
  assert.match(formatChecklist(checks), /✔ debug image pulled: a busybox debug container Running in every bookinfo pod — 6\/6 Running/)
})

test('an image the nodes cannot pull: fails at once with the kubelet’s reason and the fix; fixed, the next check passes with fresh containers', async () => {
  fake.onEphemeralContainer((_pod, c) => imagePullWaiting('ErrImagePull', c.image))
  const started = Date.now()
  let check: Awaited<ReturnType<typeof debugImageCheck>>
  try {
    check = await debugImageCheck(fake.kubeConfig(), { lab: 'kind', reachable: true, action: missingImage, pollMs: 50 })
  } finally {
    fake.onEphemeralContainer(undefined)
  }
  assert.ok(Date.now() - started < 5_000, 'no waiting out the 25 s for a pull that failed')
  assert.equal(check.status, 'fail')
  assert.match(check.detail, /^0\/6 Running/)
  assert.match(check.detail, /details-v1-766844796b-9wq5x on node1: debug container reach-probe-2 in details-v1-766844796b-9wq5x cannot start, image not pulled — ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image "docker\.io\/library\/busybox:9\.99"/)
  // the fix says what to do: the image name, a way onto the nodes without the registry, the kubelet's reason by hand
  assert.match(check.fix, /check the image name: docker\.io\/library\/busybox:9\.99 \(DEBUG_IMAGE in demo-server\/src\/catalog\/matrices\.ts\)/)
  assert.match(check.fix, /docker pull docker\.io\/library\/busybox:9\.99 && kind load docker-image docker\.io\/library\/busybox:9\.99 --name calico-lab/)
  assert.match(check.fix, /kubectl debug -n dev1 <pod> --image=docker\.io\/library\/busybox:9\.99 -- true/)
  const vms = await debugImageCheck(fake.kubeConfig(), { lab: 'vms', reachable: true, action: missingImage, pollMs: 50 })
  assert.equal(vms.status, 'pass', 'the starter is back to running: the stuck containers are passed over, fresh ones start')
  for (const pod of bookinfoPods()) {
    const names = ephemeral(pod).map((c) => c.name)
    assert.deepEqual(names, ['reach-probe', 'reach-probe-2', 'reach-probe-3'], pod.metadata.name)
  }
})

test('the VMs’ fix: import the image into each node’s containerd, or a registry mirror', async () => {
  fake.onEphemeralContainer((_pod, c) => imagePullWaiting('ImagePullBackOff', c.image))
  try {
    const check = await debugImageCheck(fake.kubeConfig(), { lab: 'vms', reachable: true, action: { ...reachMatrix, debugImage: 'docker.io/library/busybox:9.98' }, pollMs: 50 })
    assert.equal(check.status, 'fail')
    assert.match(check.detail, /ImagePullBackOff: Back-off pulling image "docker\.io\/library\/busybox:9\.98"/)
    assert.match(check.fix, /docker save docker\.io\/library\/busybox:9\.98 \| multipass exec \$n -- sudo ctr -n k8s\.io images import -/)
    assert.match(check.fix, /registry mirror/)
  } finally {
    fake.onEphemeralContainer(undefined)
  }
})

test('a container still starting after the wait: fails with its waiting reason, and says what to look at', async () => {
  fake.onEphemeralContainer(() => containerCreating())
  try {
    const check = await debugImageCheck(fake.kubeConfig(), { lab: 'kind', reachable: true, action: { ...reachMatrix, debugImage: 'docker.io/library/busybox:9.97' }, waitMs: 300, pollMs: 50 })
    assert.equal(check.status, 'fail')
    assert.match(check.detail, /is not running after 0\.3 s \(ContainerCreating\)/)
    assert.match(check.fix, /kubectl describe pod -n dev1 <pod>/)
  } finally {
    fake.onEphemeralContainer(undefined)
  }
})

test('a bookinfo pod that is not there fails the check; an unreachable API server skips it', async () => {
  const ratings = bookinfoPods().find((o) => o.metadata.name.startsWith('ratings-v1'))!
  fake.remove('v1', 'Pod', 'dev1', ratings.metadata.name)
  try {
    const check = await debugImageCheck(fake.kubeConfig(), { lab: 'kind', reachable: true, pollMs: 50 })
    assert.equal(check.status, 'fail')
    assert.match(check.detail, /ratings-v1: no Running pod \(app=ratings\)/)
    assert.match(check.fix, /kubectl get pods -n dev1/)
  } finally {
    fake.upsert(ratings)
  }
  const skipped = await debugImageCheck(fake.kubeConfig(), { lab: 'kind', reachable: false })
  assert.deepEqual([skipped.status, skipped.ok, skipped.detail], ['skip', true, 'skipped: API server unreachable'])
})
