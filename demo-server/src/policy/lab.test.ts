// The engine on the lab's own policies (manifests/): on 9080/TCP and DNS, exactly the intended flows of bookinfo are
// allowed (declared once in test/support/leastPrivilege.ts, where the tests' independent oracle checks the same YAML),
// for every ordered pair of bookinfo, alpine and outside endpoints.
//
// Nothing else touching a bookinfo pod: the alpine pods (dev1, default) and other outside addresses reach no
// bookinfo pod, and bookinfo pods reach nothing else (not the alpines, not CoreDNS on 9080); only the pods that call
// someone (productpage, reviews v2/v3) reach kube-dns on 53/UDP and 53/TCP. Identity, not labels: a pod that carries
// productpage's labels under another ServiceAccount inherits none of productpage's rights.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { intendedPodFlows, INTENDED_DNS, INTENDED_FROM_OUTSIDE } from '../../../test/support/leastPrivilege.ts'
import { DNS_LABELS, labMatrix, modelFromManifests } from './manifests.ts'
import { buildModel } from './model.ts'
import { evaluate } from './reachability.ts'
import { printTruthTable, truthTables } from './truthTable.ts'

// LAB_MANIFESTS_DIR points the test at another copy of the lab (e.g. to see it fail on a loosened policy).
const MANIFESTS = process.env.LAB_MANIFESTS_DIR ?? join(import.meta.dirname, '../../../manifests')

const BOOKINFO: Record<string, string> = {
  'dev1/productpage-v1': 'bookinfo-productpage',
  'dev1/details-v1': 'bookinfo-details',
  'dev1/ratings-v1': 'bookinfo-ratings',
  'dev1/reviews-v1': 'bookinfo-reviews',
  'dev1/reviews-v2': 'bookinfo-reviews',
  'dev1/reviews-v3': 'bookinfo-reviews',
}
const ALPINES = ['dev1/alpine', 'default/alpine']
const INTENDED_9080 = new Set(intendedPodFlows(' → '))

describe('lab least privilege (manifests/)', () => {
  const m = modelFromManifests(MANIFESTS)
  const lab = labMatrix(m, 9080)
  const results = evaluate(m.model, m.policies, lab.probes)
  const { allowed: inside, denied: outside } = m.outsideClients

  it('models the bookinfo pods with their service accounts, both alpines and the outside range from a policy', () => {
    for (const [key, sa] of Object.entries(BOOKINFO)) {
      const pod = m.model.podsByKey.get(key)
      assert.ok(pod, `no pod ${key} derived from manifests/`)
      assert.equal(pod.serviceAccount, sa, `${key} service account`)
      assert.ok(pod.ports.some((p) => p.containerPort === 9080 && p.protocol === 'TCP'), `${key} serves 9080/TCP`)
    }
    for (const key of ALPINES) assert.ok(m.model.podsByKey.get(key), `no pod ${key} in manifests/`)
    assert.ok(m.model.pods.some((p) => p.namespace === 'kube-system' && p.labels['k8s-app'] === DNS_LABELS['k8s-app']), 'a kube-dns pod')
    assert.doesNotMatch(m.outsideClients.rangeSource, /^assumed/, 'the allowed outside range should come from a policy')
  })

  it('allows exactly the intended flows on 9080/TCP', () => {
    const wrong: string[] = []
    for (const r of results.filter((x) => x.port === 9080)) {
      const pair = `${r.from} → ${r.to}`
      if (r.from === r.to) {
        if (!r.allowed || r.ingress.decidedBy !== 'loopback') wrong.push(`${pair}: a pod reaching itself is never policed`)
        continue
      }
      const fromBookinfo = r.from in BOOKINFO
      const toBookinfo = r.to in BOOKINFO
      let want: boolean | undefined
      if (r.from === inside) want = toBookinfo ? INTENDED_FROM_OUTSIDE.some((w) => r.to === `dev1/${w}`) : undefined
      else if (r.from === outside) want = toBookinfo ? false : undefined
      else if (fromBookinfo || toBookinfo) want = INTENDED_9080.has(pair)
      if (want !== undefined && r.allowed !== want) wrong.push(`${pair}: expected ${want ? 'allowed' : 'denied'}, engine: ${r.reason}`)
    }
    const table = truthTables(results.filter((x) => x.port === 9080), { froms: lab.sources, tos: lab.destinations })[0]
    assert.deepEqual(wrong, [], table ? `\n${printTruthTable(table)}` : '')
  })

  it('lets only the pods that call someone reach kube-dns on 53/UDP and 53/TCP', () => {
    const wrong: string[] = []
    for (const key of [...Object.keys(BOOKINFO), 'dev1/alpine']) {
      const want = (INTENDED_DNS as readonly string[]).includes(key.replace(/^dev1\//, ''))
      for (const protocol of ['UDP', 'TCP'] as const) {
        const r = results.find((x) => x.from === key && x.port === 53 && x.protocol === protocol)
        if (!r) wrong.push(`${key} → kube-dns 53/${protocol}: not probed`)
        else if (r.allowed !== want) wrong.push(`${key} → ${r.to} 53/${protocol}: expected ${want ? 'allowed' : 'denied'}, engine: ${r.reason}`)
      }
    }
    assert.deepEqual(wrong, [])
  })

  it('gives a pod with productpage\'s labels but another ServiceAccount none of productpage\'s rights', () => {
    const impostor = { namespace: 'dev1', name: 'impostor', labels: { app: 'productpage', version: 'v1' }, ip: '198.19.16.250', serviceAccount: 'default' }
    const model = buildModel({ namespaces: [...m.model.namespaces.values()].map((n) => ({ name: n.name, labels: n.labels })), pods: [...m.model.pods.map((p) => ({ namespace: p.namespace, name: p.name, labels: p.labels, ip: p.ip, serviceAccount: p.serviceAccount })), impostor] })
    const probe = (to: string, port = 9080, protocol: 'TCP' | 'UDP' = 'TCP') => ({ from: 'dev1/impostor', to, port, protocol })
    const dns = m.model.pods.find((p) => p.labels['k8s-app'] === DNS_LABELS['k8s-app'])!.key
    const [details, reviews, dnsUdp] = evaluate(model, m.resources, [probe('dev1/details-v1'), probe('dev1/reviews-v2'), probe(dns, 53, 'UDP')])
    for (const r of [details!, reviews!, dnsUdp!]) assert.equal(r.allowed, false, `${r.from} → ${r.to}: ${r.reason}`)
    assert.match(details!.reason, /end of tier platform-baseline/, 'no dev1 policy selects it: the platform deny decides')
    const [fromOutside] = evaluate(model, m.resources, [{ from: inside, to: 'dev1/impostor', port: 9080, protocol: 'TCP' }])
    assert.equal(fromOutside!.allowed, false, `the outside range's allow is productpage's, not its labels': ${fromOutside!.reason}`)
  })

  it('explains every denial of a bookinfo flow by a policy of the lab, never by accident', () => {
    for (const r of results.filter((x) => !x.allowed && (x.from in BOOKINFO || x.to in BOOKINFO))) {
      const decisive = r.egress.allowed ? r.ingress : r.egress
      assert.ok(decisive.decidedBy === 'end-of-tier' || decisive.decidedBy === 'rule', `${r.from} → ${r.to}: ${r.reason}`)
    }
  })
})
