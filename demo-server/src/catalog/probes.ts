// The assessment's probes, each once on the open baseline and once after the policy steps: from inside dev1, from the
// other namespace, and from outside the cluster (the outside clients are Docker containers in the kind rehearsal and a
// multipass VM on the real lab: not pods, so those are host steps).
import type { HostArgv } from '../host/programs.ts'
import { LAB } from './lab.ts'
import type { ExecAction, HostAction } from './types.ts'

const PROBE_TIMEOUT_MS = 20_000
const TITLE = `grep -o "<title>.*</title>"`
/** ratings has curl (the assessment's own probe, and Istio's documented check). */
const RATINGS_PROBE = `curl -sS --max-time 5 http://productpage:9080/productpage | ${TITLE}`
/**
 * alpine has busybox wget, not curl. Its `-T 5` bounds the connect when a policy drops the SYN (a dropped connect ends
 * in "download timed out", recorded in test/fixtures/probe-real-outputs.json). No outer `timeout`: busybox's leaves its
 * watcher orphaned under the pod's PID 1 (`sleep`, which never reaps), one zombie per run.
 */
const alpineProbe = (host: string) => `wget -q -T 5 -O - http://${host}:9080/productpage | ${TITLE}`

function podProbes(suffix: string, when: string): ExecAction[] {
  const alpine = (namespace: string, host: string, title: string): ExecAction => ({
    id: `probe-alpine-${namespace}-productpage${suffix}`,
    title: `${title} (${when})`,
    kind: 'exec',
    namespace,
    target: { pod: 'alpine' },
    command: ['sh', '-c', alpineProbe(host)],
    namespaces: [namespace],
    timeoutMs: PROBE_TIMEOUT_MS,
  })
  return [
    {
      id: `probe-ratings-productpage${suffix}`,
      title: `ratings → productpage, inside dev1 (${when})`,
      kind: 'exec',
      namespace: LAB.namespace,
      target: { deployment: 'ratings-v1' },
      container: 'ratings',
      command: ['sh', '-c', RATINGS_PROBE],
      namespaces: [LAB.namespace],
      timeoutMs: PROBE_TIMEOUT_MS,
    },
    alpine(LAB.namespace, 'productpage', 'alpine in dev1 → productpage'),
    alpine(LAB.otherNamespace, `productpage.${LAB.namespace}`, `alpine in ${LAB.otherNamespace} → productpage.${LAB.namespace}`),
  ]
}

/** The same command on an outside client, for each lab: `docker exec <client>` or `multipass exec host1 --`. */
export function onOutsideClient(client: 'host1' | 'host2', command: readonly string[]): Record<'kind' | 'vms', HostArgv> {
  return { kind: ['docker', 'exec', client, ...command], vms: ['multipass', 'exec', 'host1', '--', ...command] }
}

const CURL_WRITE_OUT = 'HTTP %{http_code} from %{local_ip}\\n'
const curlLb = (extra: string[] = []) => ['curl', '-sS', '-o', '/dev/null', '--max-time', '5', '-w', CURL_WRITE_OUT, ...extra, `http://${LAB.lbIp}/productpage`]

function hostProbes(suffix: string, when: string): HostAction[] {
  return [
    {
      id: `probe-host1-productpage${suffix}`,
      title: `host1 ${LAB.host1Ip}, inside ${LAB.allowedRange} → productpage ${LAB.lbIp} (${when})`,
      kind: 'host',
      argv: onOutsideClient('host1', curlLb()),
      namespaces: [],
      timeoutMs: PROBE_TIMEOUT_MS,
    },
    {
      id: `probe-other-range-productpage${suffix}`,
      title: `a client of another range, ${LAB.otherIp} → productpage ${LAB.lbIp} (${when})`,
      kind: 'host',
      // on the VMs the other range is host1's second address
      argv: { kind: onOutsideClient('host2', curlLb()).kind, vms: onOutsideClient('host1', curlLb(['--interface', LAB.otherIp])).vms },
      namespaces: [],
      timeoutMs: PROBE_TIMEOUT_MS,
    },
  ]
}

const PARTS = `curl -sS --max-time 5 http://${LAB.lbIp}/productpage | grep -o -E "Book Details|Book Reviews|glyphicon-star|Error fetching product [a-z]+|Ratings service is currently unavailable" | sort | uniq -c`

const bookinfoParts: HostAction = {
  id: 'probe-host1-bookinfo-parts-after',
  title: 'host1 → productpage: details, reviews and ratings (stars) all answer under least privilege',
  kind: 'host',
  argv: onOutsideClient('host1', ['sh', '-c', PARTS]),
  namespaces: [],
  timeoutMs: PROBE_TIMEOUT_MS,
}

export const probeActions = [
  ...podProbes('', 'open baseline'),
  ...hostProbes('', 'open baseline'),
  ...podProbes('-after', 'after the policies'),
  ...hostProbes('-after', 'after the policies'),
  bookinfoParts,
]
