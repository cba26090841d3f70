// The engine's API: validation messages, verdict details, tier/order sorting, truth tables, manifests.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import {
  buildModel,
  CaseError,
  compareConnectivity,
  compareTruthTables,
  compilePolicies,
  evaluate,
  labMatrix,
  loadCase,
  modelFromManifests,
  printTruthTable,
  toConnectivity,
  truthTables,
} from './index.ts'

const base = {
  name: 'base',
  namespaces: [{ name: 'x' }, { name: 'y' }],
  pods: [
    { namespace: 'x', name: 'a', labels: { pod: 'a' }, ip: '10.0.1.1', ports: [{ name: 'http', containerPort: 8080 }] },
    { namespace: 'x', name: 'b', labels: { pod: 'b' }, ip: '10.0.1.2' },
    { namespace: 'y', name: 'b', labels: { pod: 'b' }, ip: '10.0.2.2' },
  ],
  probes: [{ from: 'x/b', to: 'x/a', port: 80 }],
}

function issuesOf(fn: () => unknown): readonly string[] {
  try {
    fn()
  } catch (e) {
    if (e instanceof CaseError) return e.issues
    throw e
  }
  assert.fail('expected a CaseError')
}

const calico = (name: string, spec: object, namespace = 'x') => ({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name, namespace }, spec })
const k8s = (name: string, spec: object, namespace = 'x') => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec })

describe('case validation', () => {
  it('reports unknown pods, bad addresses, both-outside probes and a wrong expected length', () => {
    const issues = issuesOf(() => loadCase({
      ...base,
      probes: [{ from: 'x/nope', to: 'x/a', port: 80 }, { from: '10.0.0.300', to: 'x/a', port: 80 }, { from: '1.2.3.4', to: '5.6.7.8', port: 80 }],
    }))
    assert.deepEqual(issues, [
      'probes[0].from: no pod "x/nope" in the model',
      'probes[1].from: "10.0.0.300" is neither "namespace/pod" nor an IPv4 address',
      'probes[2]: both ends are outside the cluster (1.2.3.4 → 5.6.7.8); one must be a pod',
    ])
    assert.deepEqual(issuesOf(() => loadCase({ ...base, expected: [true, false] })), [
      'expected: has 2 entries but there are 1 probes (one boolean per probe)',
    ])
  })

  it('reports bad pod IPs, undeclared namespaces, duplicate IPs and unknown fields', () => {
    const issues = issuesOf(() => loadCase({
      ...base,
      pods: [
        { namespace: 'x', name: 'a', ip: '10.0.1' },
        { namespace: 'q', name: 'b', ip: '10.0.1.2' },
        { namespace: 'x', name: 'c', ip: '10.0.1.2' },
      ],
    }))
    assert.deepEqual(issues, [
      'pod x/a: ip "10.0.1" is not an IPv4 address',
      'pod q/b: namespace "q" is not declared in namespaces',
      'pod x/c: ip 10.0.1.2 is already used by pod q/b',
    ])
    assert.match(issuesOf(() => loadCase({ ...base, expect: [true] })).join('\n'), /Unrecognized key.*"expect"/)
  })

  it('reports malformed policies with the path to the field', () => {
    const issues = issuesOf(() => loadCase({
      ...base,
      policies: [
        calico('p', { selector: 'pod == a', ingress: [{ action: 'allow' }] }),
        calico('q', { ingress: [{ action: 'Allow', destination: { ports: [80] } }] }),
        calico('r', { ingress: [{ action: 'Allow', protocol: 'ICMP', destination: { ports: ['http'] } }] }),
        calico('s', { tier: 'security', ingress: [{ action: 'Allow', source: { selector: 'global()', notNets: ['0.0.0.0/0'] } }] }),
        k8s('t', { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }], ports: [{ port: 'http', endPort: 90 }] }] }),
        { apiVersion: 'crd.projectcalico.org/v1', kind: 'NetworkPolicy', metadata: { name: 'u' } },
      ],
    }))
    const text = issues.join('\n')
    assert.match(text, /policies\[0\] \(NetworkPolicy x\/p\)\.spec\.ingress\[0\]\.action: Invalid option/)
    assert.match(text, /policies\[1\] \(NetworkPolicy x\/q\)\.spec\.ingress\[0\]\.destination\.ports: rules with numeric port or port range must set protocol/)
    assert.match(text, /policies\[2\] \(NetworkPolicy x\/r\)\.spec\.ingress\[0\]\.destination\.ports: rules that specify ports must set protocol to TCP or UDP or SCTP/)
    assert.match(text, /policies\[3\] \(NetworkPolicy x\/s\)\.spec\.tier: tier "security" does not exist/)
    assert.match(text, /source\.selector: global\(\) can only be used in an EntityRule namespaceSelector/)
    assert.match(text, /source\.notNets\[0\]: catch-all CIDR in negation/)
    assert.match(text, /policies\[4\] \(NetworkPolicy x\/t\)\.spec\.ingress\[0\]\.from\[0\]: a peer with ipBlock cannot also have podSelector/)
    assert.match(text, /policies\[4\] \(NetworkPolicy x\/t\)\.spec\.ingress\[0\]\.ports\[0\]\.endPort: endPort needs a numeric port/)
    assert.match(text, /policies\[5\].*unsupported resource crd\.projectcalico\.org\/v1 NetworkPolicy \(write Calico resources as projectcalico\.org\/v3\)/)
  })

  it('reports a bad selector with its column', () => {
    const issues = issuesOf(() => loadCase({ ...base, policies: [calico('p', { selector: "pod == 'a' && && x" })] }))
    assert.deepEqual(issues, [
      `policies[0] (NetworkPolicy x/p).spec.selector: bad selector "pod == 'a' && && x" at column 15: unexpected "&&" (expected a label, has(), all(), global(), "!" or "(")`,
    ])
  })

  it('refuses what it cannot model instead of guessing', () => {
    const text = issuesOf(() => loadCase({
      ...base,
      policies: [calico('p', { ingress: [
        { action: 'Allow', protocol: 'TCP', source: { ports: [1234] } },
        { action: 'Allow', http: { methods: ['GET'] } },
        { action: 'Allow', destination: { services: { name: 'kube-dns', namespace: 'kube-system' } } },
      ] })],
    })).join('\n')
    assert.match(text, /source ports are not modelled/)
    assert.match(text, /HTTP\) matches are not modelled/)
    assert.match(text, /Service matches are not modelled/)
  })
})

describe('verdicts', () => {
  it('name the tier, policy and rule that decided, or the end of tier, or the profile', () => {
    const model = buildModel(base)
    const [allowed, denied, unselected] = evaluate(model, [
      calico('allow-b', { order: 10, selector: "pod == 'a'", ingress: [{ action: 'Log' }, { action: 'Allow', source: { selector: "pod == 'b'" } }] }),
    ], [{ from: 'x/b', to: 'x/a', port: 80 }, { from: 'y/b', to: 'x/a', port: 80 }, { from: 'x/a', to: 'x/b', port: 80 }])
    assert.ok(allowed && denied && unselected)
    assert.equal(allowed.allowed, true)
    assert.equal(allowed.ingress.decidedBy, 'rule')
    assert.equal(allowed.ingress.tier, 'default')
    assert.equal(allowed.ingress.policy, 'x/allow-b')
    assert.equal(allowed.ingress.rule, 'ingress[1]')
    assert.deepEqual(allowed.ingress.trace, ['tier default › x/allow-b ingress[0]: Log'])
    assert.equal(allowed.egress.decidedBy, 'profile')
    assert.equal(denied.allowed, false)
    assert.equal(denied.ingress.decidedBy, 'end-of-tier')
    assert.equal(denied.reason, 'ingress to x/a: denied at end of tier default: selected by x/allow-b, no rule matched [after tier default › x/allow-b ingress[0]: Log]')
    assert.equal(unselected.reason, 'egress from x/a: no policy selects it for egress → allowed by profile kns.x; ingress to x/b: no policy selects it for ingress → allowed by profile kns.x')
  })

  it('evaluates only the pod side for an outside address', () => {
    const model = buildModel(base)
    const [r] = evaluate(model, [k8s('deny', { podSelector: {}, policyTypes: ['Egress'] })], [{ from: '198.51.100.1', to: 'x/a', port: 80 }])
    assert.equal(r?.allowed, true)
    assert.equal(r?.egress.decidedBy, 'outside-cluster')
    assert.equal(r?.ingress.decidedBy, 'profile')
  })

  it('names Kubernetes policies as Calico does and sorts them at order 1000 in the default tier', () => {
    const model = buildModel(base)
    const set = compilePolicies([
      k8s('zz', { podSelector: {}, ingress: [{}] }),
      calico('late', { selector: 'all()' }),
      calico('early', { order: 999, selector: 'all()' }),
      { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'g' }, spec: { order: 1000, selector: 'all()' } },
      { apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'first' }, spec: { order: 1 } },
      { apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'unordered' }, spec: {} },
    ], model)
    assert.deepEqual(set.tiers.map((t) => `${t.name}:${t.order ?? 'none'}`), ['first:1', 'default:1000000', 'unordered:none'])
    assert.deepEqual(set.policiesByTier.get('default')?.map((p) => p.id), ['x/early', 'g', 'x/knp.default.zz', 'x/late'])
  })
})

describe('connectivity and truth tables', () => {
  const results = [
    { from: 'x/a', to: 'x/b', port: 80, protocol: 'TCP' as const, allowed: true },
    { from: 'x/a', to: 'y/b', port: 80, protocol: 'TCP' as const, allowed: false },
    { from: 'x/b', to: 'x/b', port: 80, protocol: 'TCP' as const, allowed: true },
    { from: 'x/a', to: 'x/b', port: 53, protocol: 'UDP' as const, allowed: true },
  ]

  it('prints one e2e-style table per port/protocol', () => {
    const tables = truthTables(results)
    assert.deepEqual(tables.map((t) => t.title), ['80/TCP', '53/UDP'])
    assert.equal(printTruthTable(tables[0] as (typeof tables)[number]), ['-    x/b  y/b', 'x/a  .    X', 'x/b  .    ?'].join('\n'))
  })

  it('compares expected and observed in one loop, keyed by connection', () => {
    const expected = toConnectivity(results)
    const observed = toConnectivity([{ ...results[0], allowed: false } as (typeof results)[number], ...results.slice(1, 3)])
    assert.deepEqual(compareConnectivity(expected, observed), [
      { key: 'x/a → x/b 80/TCP', expected: true, observed: false },
      { key: 'x/a → x/b 53/UDP', expected: true, observed: undefined },
    ])
    const cmp = compareTruthTables(truthTables(results)[0] as ReturnType<typeof truthTables>[number], truthTables([...observed].map(([k, v]) => {
      const m = /^(\S+) → (\S+) (\d+)\/(\w+)$/.exec(k) as RegExpExecArray
      return { from: m[1] as string, to: m[2] as string, port: Number(m[3]), protocol: m[4] as 'TCP', allowed: v }
    }))[0] as ReturnType<typeof truthTables>[number])
    assert.match(printTruthTable(cmp), /x\/a {2}X {4}\./)
  })
})

describe('modelFromManifests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reach-manifests-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, '00-ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: t1\n')
  writeFileSync(join(dir, '10-pool.yaml'), [
    'apiVersion: projectcalico.org/v3', 'kind: IPPool', 'metadata: {name: lb}', 'spec: {cidr: 198.19.48.0/24, allowedUses: [LoadBalancer]}', '---',
    'apiVersion: projectcalico.org/v3', 'kind: IPPool', 'metadata: {name: pods}', 'spec: {cidr: 172.16.0.0/16}',
  ].join('\n'))
  writeFileSync(join(dir, '20-app.yaml'), [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web, namespace: shop}', 'spec:', '  template:',
    '    metadata: {labels: {app: web}}', '    spec:', '      serviceAccountName: web-sa', '      containers:',
    '        - name: c', '          ports: [{name: http, containerPort: 8080}, {containerPort: 9000, protocol: UDP}]', '---',
    'apiVersion: v1', 'kind: Pod', 'metadata: {name: client, labels: {app: client}}', 'spec: {containers: [{name: c}]}',
  ].join('\n'))
  writeFileSync(join(dir, '30-policy.yaml'), [
    'apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: {name: web, namespace: shop}', 'spec:',
    '  podSelector: {matchLabels: {app: web}}', '  ingress:', '    - from: [{ipBlock: {cidr: 192.168.7.0/24, except: [192.168.7.0/28]}}]',
  ].join('\n'))

  it('derives pods from workloads, assigns IPs from the pod pool, and finds the allowed outside range', () => {
    const m = modelFromManifests(dir)
    assert.equal(m.podCidr, '172.16.0.0/16')
    assert.deepEqual(m.model.pods.map((p) => `${p.key} ${p.ip} sa=${p.serviceAccount}`), [
      'default/client 172.16.0.10 sa=default',
      'kube-system/coredns 172.16.0.11 sa=coredns',
      'shop/web 172.16.0.12 sa=web-sa',
    ])
    const web = m.model.podsByKey.get('shop/web')
    assert.deepEqual(web?.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: undefined, containerPort: 9000, protocol: 'UDP' }])
    assert.equal(web?.endpointLabels['pcns.team'], 't1')
    assert.equal(m.outsideClients.range, '192.168.7.0/24')
    assert.equal(m.outsideClients.allowed, '192.168.7.16')
    assert.equal(m.outsideClients.denied, '192.168.6.10')
    assert.deepEqual(m.syntheticPods, ['kube-system/coredns'])
    const lab = labMatrix(m, 8080)
    const results = evaluate(m.model, m.policies, lab.probes)
    const verdict = (from: string, to: string) => results.find((r) => r.from === from && r.to === to && r.port === 8080)?.allowed
    assert.equal(verdict('192.168.7.16', 'shop/web'), true)
    assert.equal(verdict('192.168.6.10', 'shop/web'), false)
    assert.equal(verdict('default/client', 'shop/web'), false)
  })

  it('documents an assumed range when no policy names one', () => {
    const empty = mkdtempSync(join(tmpdir(), 'reach-empty-'))
    try {
      const m = modelFromManifests(empty)
      assert.equal(m.podCidr, '10.244.0.0/16')
      assert.match(m.outsideClients.rangeSource, /^assumed/)
      assert.equal(m.outsideClients.allowed, '192.0.2.10')
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })
})
