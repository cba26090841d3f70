// manifests/: every file parses; Kubernetes kinds validate against the OpenAPI schemas (unknown fields refused);
// Calico and operator kinds validate against strict schemas; the lab's facts hang together; the policies are
// least privilege. Each validator is also shown to fail on a broken input, so a green run means something.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { LAB } from '../../demo-server/src/catalog/lab.ts'
import { POLICY_STEPS } from '../../demo-server/src/catalog/policySteps.ts'
import { stepPolicyNames } from '../../demo-server/src/preflight.ts'
import { evaluateSelector, parseSelector } from '../../demo-server/src/policy/index.ts'
import { cidrContains, cidrsOverlap, parseCidr, parseIPv4 } from '../../demo-server/src/policy/model.ts'
import { allDocs, gvk, knownNamespaces, libShConstants, manifestFiles, parseDocs, ROOT } from './lib/manifests.ts'
import type { Doc } from './lib/manifests.ts'
import { calicoSchemaFor, networkPolicySchema, tierSchema } from './lib/calico.ts'
import { isKubernetesKind, validateKubernetes } from './lib/kubernetes.ts'
import { intendedPodFlows, INTENDED_DNS, INTENDED_FROM_OUTSIDE, LeastPrivilegeOracle } from '../support/leastPrivilege.ts'

const inRange = (cidr: string, ip: string) => cidrContains(parseCidr(cidr)!, parseIPv4(ip)!)
const overlap = (a: string, b: string) => cidrsOverlap(parseCidr(a)!, parseCidr(b)!)
const matches = (selector: string, labels: Record<string, string>) => evaluateSelector(parseSelector(selector), labels)

const docs = allDocs()
const byKind = (k: string) => docs.filter((d) => gvk(d.obj) === k).map((d) => d.obj)
const clone = <T>(x: T): T => structuredClone(x)

test('manifests: numbered in apply order, each file commented with the why, all parse', () => {
  const files = manifestFiles()
  assert.ok(files.length >= 10, 'the lab has its manifests')
  for (const f of files) {
    assert.match(f, /^manifests\/\d\d-[a-z0-9-]+\.yaml$/, `${f}: NN-name.yaml`)
    const text = readFileSync(ROOT + f, 'utf8')
    assert.match(text, /^# \d\d — /, `${f} starts with a header comment`)
    assert.ok(text.split('\n').filter((l) => l.startsWith('#')).length >= 2, `${f} explains itself`)
    assert.doesNotThrow(() => parseDocs(text, f))
  }
  const numbers = files.map((f) => f.slice('manifests/'.length, 'manifests/'.length + 2))
  assert.equal(new Set(numbers).size, numbers.length, 'one file per number')
})

test('manifests: the YAML parser refuses broken YAML (duplicate keys, bad indentation)', () => {
  assert.throws(() => parseDocs('a: 1\na: 2\n', 'dup.yaml'))
  assert.throws(() => parseDocs('a:\n  b: 1\n c: 2\n', 'indent.yaml'))
})

test('manifests: every document is a known kind, names are unique', () => {
  const seen = new Set<string>()
  for (const { file, index, obj } of docs) {
    assert.ok(obj.apiVersion && obj.kind && obj.metadata?.name, `${file}#${index} has apiVersion, kind, metadata.name`)
    assert.ok(isKubernetesKind(obj.apiVersion, obj.kind) || calicoSchemaFor(obj.apiVersion, obj.kind),
      `${file}#${index}: ${gvk(obj)} has a schema in the tests`)
    const key = `${gvk(obj)} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
    assert.ok(!seen.has(key), `duplicate ${key}`)
    seen.add(key)
  }
})

test('Kubernetes kinds validate against the OpenAPI schemas, unknown fields refused', () => {
  let n = 0
  for (const { file, index, obj } of docs) {
    if (!isKubernetesKind(obj.apiVersion, obj.kind)) continue
    assert.doesNotThrow(() => validateKubernetes(obj), `${file}#${index} ${obj.kind}/${obj.metadata.name}`)
    n++
  }
  assert.ok(n >= 15, `validated ${n} Kubernetes objects`)
})

test('Kubernetes validation fails on broken objects', () => {
  const service = clone(byKind('v1/Service')[0])
  service.spec.ports[0].prot = 'TCP'
  assert.throws(() => validateKubernetes(service), /unknown field\(s\): spec\.ports\[0\]\.prot/)

  const deployment = clone(byKind('apps/v1/Deployment')[0])
  deployment.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes'
  assert.throws(() => validateKubernetes(deployment), 'enum refused')

  const deployment2 = clone(byKind('apps/v1/Deployment')[0])
  deployment2.spec.replicas = 'one'
  assert.throws(() => validateKubernetes(deployment2), 'type refused')

  const deployment3 = clone(byKind('apps/v1/Deployment')[0])
  deployment3.spec.template.spec.serviceAccount = undefined
  deployment3.spec.template.spec.containers[0].port = 9080
  assert.throws(() => validateKubernetes(deployment3), /containers\[0\]\.port/)

  const pod = clone(byKind('v1/Pod')[0])
  pod.spec.containers[0].command = 'sleep infinity'
  assert.throws(() => validateKubernetes(pod), 'command is a list')
})

test('Calico and operator kinds validate against strict schemas', () => {
  let n = 0
  for (const { file, index, obj } of docs) {
    const schema = calicoSchemaFor(obj.apiVersion, obj.kind)
    if (!schema) continue
    const r = schema.safeParse(obj)
    assert.ok(r.success, `${file}#${index} ${obj.kind}/${obj.metadata.name}: ${r.success ? '' : r.error.message}`)
    n++
  }
  assert.ok(n >= 11, `validated ${n} Calico/operator objects`)
})

test('Calico schemas refuse the classic pitfalls', () => {
  const policy = clone(byKind('projectcalico.org/v3/NetworkPolicy').find((p) => p.metadata.name === 'details-from-productpage'))
  assert.ok(networkPolicySchema.safeParse(policy).success)

  const topLevelPorts = clone(policy)
  topLevelPorts.spec.ingress[0].ports = topLevelPorts.spec.ingress[0].destination.ports
  delete topLevelPorts.spec.ingress[0].destination
  assert.equal(networkPolicySchema.safeParse(topLevelPorts).success, false, '`ports` outside destination/source refused')

  const noProtocol = clone(policy)
  delete noProtocol.spec.ingress[0].protocol
  assert.equal(networkPolicySchema.safeParse(noProtocol).success, false, 'ports without protocol refused')

  const icmpPorts = clone(policy)
  icmpPorts.spec.ingress[0].protocol = 'ICMP'
  assert.equal(networkPolicySchema.safeParse(icmpPorts).success, false, 'ports with ICMP refused')

  const k8sStyle = clone(policy)
  k8sStyle.spec.podSelector = { matchLabels: { app: 'details' } }
  assert.equal(networkPolicySchema.safeParse(k8sStyle).success, false, 'Kubernetes NetworkPolicy fields refused')

  const badSelector = clone(policy)
  badSelector.spec.selector = "app = 'details'"
  assert.equal(networkPolicySchema.safeParse(badSelector).success, false, 'bad selector syntax refused')

  const unquoted = clone(policy)
  unquoted.spec.ingress[0].source.selector = 'app == productpage'
  assert.equal(networkPolicySchema.safeParse(unquoted).success, false, 'unquoted selector value refused')

  const lostIngress = clone(policy)
  lostIngress.spec.types = ['Egress']
  assert.equal(networkPolicySchema.safeParse(lostIngress).success, false, 'ingress rules ignored by types refused')

  const badAction = clone(policy)
  badAction.spec.ingress[0].action = 'allow'
  assert.equal(networkPolicySchema.safeParse(badAction).success, false, 'actions are case-sensitive')

  const deny = clone(byKind('projectcalico.org/v3/GlobalNetworkPolicy').find((p) => p.spec.tier === 'platform-baseline'))
  assert.ok(networkPolicySchema.safeParse(deny).success)
  const untiered = clone(deny)
  untiered.metadata.name = 'dev1-default-deny'
  assert.equal(networkPolicySchema.safeParse(untiered).success, false, 'a policy outside the default tier carries its tier in its name')
  const tier = clone(byKind('projectcalico.org/v3/Tier')[0])
  assert.ok(tierSchema.safeParse(tier).success)
  assert.equal(tierSchema.safeParse({ ...tier, spec: { ...tier.spec, defaultAction: 'Allow' } }).success, false, 'a tier ends in Deny or Pass')
  assert.equal(tierSchema.safeParse({ ...tier, metadata: { name: 'default' }, spec: { order: 5 } }).success, false, 'the default tier keeps its order')

  const installation = clone(byKind('operator.tigera.io/v1/Installation')[0])
  installation.spec.calicoNetwork.ipPools[0].encapsulation = 'IPIPCrossSubnets'
  assert.equal(calicoSchemaFor('operator.tigera.io/v1', 'Installation')!.safeParse(installation).success, false)
  const installation2 = clone(byKind('operator.tigera.io/v1/Installation')[0])
  installation2.spec.calicoNetwork.ipPools[0].cidr = '198.19.16.1/21'
  assert.equal(calicoSchemaFor('operator.tigera.io/v1', 'Installation')!.safeParse(installation2).success, false, 'host bits refused')

  const pool = clone(byKind('projectcalico.org/v3/IPPool')[0])
  pool.spec.allowedUses = ['Workload', 'LoadBalancer']
  assert.equal(calicoSchemaFor('projectcalico.org/v3', 'IPPool')!.safeParse(pool).success, false)
  const bgp = clone(byKind('projectcalico.org/v3/BGPConfiguration')[0])
  bgp.spec.serviceLoadBalancerIPs = ['198.19.48.0/24']
  assert.equal(calicoSchemaFor('projectcalico.org/v3', 'BGPConfiguration')!.safeParse(bgp).success, false, 'cidr entries are objects')
})

test('Calico selector parser: the grammar the policies use, and what it refuses', () => {
  const sel = "app == 'reviews' && version in {'v2', 'v3'}"
  assert.equal(matches(sel, { app: 'reviews', version: 'v2' }), true)
  assert.equal(matches(sel, { app: 'reviews', version: 'v1' }), false)
  assert.equal(matches('all()', {}), true)
  assert.equal(matches("!has(a) || (b != 'x' && c not in {'y'})", { a: '1', b: 'z' }), true)
  assert.equal(matches('projectcalico.org/name == "kube-system"', { 'projectcalico.org/name': 'kube-system' }), true)
  for (const bad of ["app = 'x'", 'app == x', "app == 'x' &&", "version in ('v2')", "(app == 'x'", 'all']) {
    assert.throws(() => parseSelector(bad), bad)
  }
})

test('namespaces: every namespaced object lives in a namespace that exists; dev1 has the labels the policies use', () => {
  const known = knownNamespaces(docs)
  for (const { file, obj } of docs) {
    if (obj.metadata.namespace) assert.ok(known.includes(obj.metadata.namespace), `${file}: ${obj.metadata.namespace}`)
  }
  const dev1 = byKind('v1/Namespace').find((n) => n.metadata.name === 'dev1')
  assert.ok(dev1, 'dev1 is declared')
  assert.equal(dev1.metadata.labels['kubernetes.io/metadata.name'], 'dev1')
  assert.equal(dev1.metadata.labels['pod-security.kubernetes.io/enforce'], 'baseline')
  for (const o of [...byKind('v1/Service'), ...byKind('v1/ServiceAccount'), ...byKind('apps/v1/Deployment')]) {
    assert.equal(o.metadata.namespace, 'dev1', `${o.kind}/${o.metadata.name} is in dev1`)
  }
})

test('bookinfo: the upstream facts (service accounts, services on 9080, deployments, images)', () => {
  const deployments = byKind('apps/v1/Deployment')
  assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), [...LAB.deployments].sort())
  const sas = byKind('v1/ServiceAccount').map((s) => s.metadata.name).sort()
  assert.deepEqual(sas, ['bookinfo-details', 'bookinfo-productpage', 'bookinfo-ratings', 'bookinfo-reviews'])
  for (const d of deployments) {
    const [app, version] = d.metadata.name.split('-')
    const spec = d.spec.template.spec
    assert.deepEqual(d.spec.selector.matchLabels, { app, version })
    assert.deepEqual(d.spec.template.metadata.labels, { app, version })
    assert.equal(spec.serviceAccountName, `bookinfo-${app}`)
    assert.equal(spec.containers[0].image, `docker.io/istio/examples-bookinfo-${app}-${version}:1.20.3`)
    assert.equal(spec.containers[0].ports[0].containerPort, 9080)
  }
  for (const s of byKind('v1/Service').filter((x) => x.spec.type === undefined)) {
    assert.deepEqual(s.spec.ports, [{ port: 9080, name: 'http' }], `${s.metadata.name} on 9080`)
    assert.ok(deployments.some((d) => d.spec.template.metadata.labels.app === s.spec.selector.app), `${s.metadata.name} selects pods`)
  }
  for (const p of byKind('v1/Pod')) {
    assert.equal(p.spec.containers[0].image, 'docker.io/library/alpine:3.22')
    assert.deepEqual(p.spec.containers[0].command, ['sleep', 'infinity'], 'the alpine pods stay running')
  }
  assert.deepEqual(byKind('v1/Pod').map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(), ['default/alpine', 'dev1/alpine'])
})

test('the address plan hangs together: Installation, LB pool, BGP, Service, policy, scripts', () => {
  const c = libShConstants()
  const installation = byKind('operator.tigera.io/v1/Installation')[0]
  const pool = installation.spec.calicoNetwork.ipPools[0]
  assert.equal(pool.cidr, c.POD_CIDR)
  assert.equal(pool.blockSize, 26)
  assert.deepEqual(installation.spec.calicoNetwork.nodeAddressAutodetectionV4.cidrs, [c.LAB_NETWORK])
  const lbPool = byKind('projectcalico.org/v3/IPPool')[0]
  assert.deepEqual(lbPool.spec.allowedUses, ['LoadBalancer'])
  assert.equal(lbPool.spec.cidr, c.LB_CIDR)
  const bgp = byKind('projectcalico.org/v3/BGPConfiguration')[0]
  assert.equal(bgp.metadata.name, 'default')
  assert.deepEqual(bgp.spec.serviceLoadBalancerIPs, [{ cidr: c.LB_CIDR }], 'every LB address is advertised')
  assert.equal(bgp.spec.asNumber, Number(c.CLUSTER_AS))
  const peer = byKind('projectcalico.org/v3/BGPPeer')[0]
  assert.equal(peer.spec.peerIP, c.HOST1_IP)
  assert.equal(peer.spec.asNumber, Number(c.HOST1_AS))
  const lb = byKind('v1/Service').find((s) => s.metadata.name === LAB.lbService)
  assert.equal(lb.spec.type, 'LoadBalancer')
  assert.equal(lb.spec.externalTrafficPolicy, 'Local', 'source address preserved for the policy')
  assert.deepEqual(JSON.parse(lb.metadata.annotations['projectcalico.org/loadBalancerIPs']), [LAB.lbIp])
  assert.equal(lb.spec.ports[0].targetPort, 9080)
  assert.equal(c.LB_IP, LAB.lbIp)
  assert.ok(inRange(c.LB_CIDR!, LAB.lbIp))
  assert.equal(c.ALLOWED_RANGE, LAB.allowedRange)
  assert.ok(inRange(LAB.allowedRange, LAB.host1Ip), 'host1 is inside the allowed range')
  assert.ok(!inRange(LAB.allowedRange, LAB.otherIp), 'the other client is outside it')
  assert.equal(c.HOST1_IP, LAB.host1Ip)
  assert.equal(c.OTHER_IP, LAB.otherIp)
  for (const ip of [LAB.host1Ip, LAB.otherIp]) assert.ok(inRange(c.LAB_NETWORK!, ip), `${ip} on the lab network`)
  const ranges = [c.LAB_NETWORK!, c.POD_CIDR!, c.SERVICE_CIDR!, c.LB_CIDR!]
  for (let i = 0; i < ranges.length; i++)
    for (let j = i + 1; j < ranges.length; j++) assert.ok(!overlap(ranges[i]!, ranges[j]!), `${ranges[i]} vs ${ranges[j]}`)
  assert.match(c.CALICO_VERSION!, /^v3\.(3[0-9])\.\d+$/, 'Calico 3.30 or newer, pinned to a patch release')
})

// ---- least privilege: the truth table of the policies ------------------------------------------------------------
// By the tests' one independent oracle (test/support/leastPrivilege.ts), against the one declaration of the intended
// flows; the engine's own check of the same property is demo-server/src/policy/lab.test.ts.

const oracle = new LeastPrivilegeOracle(docs)
const policies = oracle.policies

test('policies: Allow-only, one file per step, every selector selects something', () => {
  const eps = oracle.endpoints
  const accounts = new Set(eps.map((e) => e.serviceAccount))
  const selectsPod = (p: (typeof policies)[number]) => eps.some((e) => e.namespace === 'dev1' && matches(p.spec.selector ?? 'all()', e.labels) &&
    (!p.spec.serviceAccountSelector || matches(p.spec.serviceAccountSelector, { 'projectcalico.org/name': e.serviceAccount ?? '' })))
  for (const p of policies) {
    if (p.kind === 'NetworkPolicy') assert.equal(p.metadata.namespace, 'dev1')
    else assert.equal(p.spec.namespaceSelector, "projectcalico.org/name == 'dev1'", `${p.metadata.name}: a platform policy for dev1 only`)
    const rules = [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])]
    assert.ok(rules.every((r) => r.action === 'Allow'), `${p.metadata.name}: Allow rules only (the deny is the tier's)`)
    assert.ok(selectsPod(p), `${p.metadata.name} selects a pod`)
    for (const r of rules) {
      for (const ent of [r.source, r.destination]) {
        if (ent?.selector) assert.ok(eps.some((e) => matches(ent.selector!, e.labels)), `${p.metadata.name}: ${ent.selector} matches a pod`)
        for (const name of ent?.serviceAccounts?.names ?? []) assert.ok(accounts.has(name), `${p.metadata.name}: ServiceAccount ${name} runs a pod`)
      }
    }
    // a bookinfo workload is named by its ServiceAccount, not only by labels anyone may set on a pod
    if (p.kind === 'NetworkPolicy') assert.ok(p.spec.serviceAccountSelector, `${p.metadata.name}: selects by ServiceAccount`)
  }
  const files = manifestFiles().filter((f) => /^manifests\/\d\d-policy-/.test(f) && !f.endsWith('-policy-tiers.yaml'))
  assert.deepEqual(files, POLICY_STEPS.map((s) => s.file), 'every policy file is a step, in order')
  const stepFiles = new Set<string>(POLICY_STEPS.map((s) => s.file))
  const inSteps = docs.filter((d) => stepFiles.has(d.file) && /NetworkPolicy$/.test(String(d.obj.kind))).map((d) => String(d.obj.metadata.name))
  assert.deepEqual([...new Set(inSteps)].sort(), [...stepPolicyNames()].sort(), 'preflight knows every step policy')
  // outside the steps, one standing policy: the platform's DNS for callers, applied with its tiers
  assert.deepEqual(policies.map((p) => p.metadata.name).filter((n) => !inSteps.includes(n)), ['platform.dev1-dns-for-callers'])
  const deny = policies.find((p) => p.metadata.name === 'platform-baseline.dev1-default-deny')!
  assert.equal(deny.kind, 'GlobalNetworkPolicy')
  assert.equal(deny.spec.selector, 'all()')
  assert.deepEqual(deny.spec.types, ['Ingress', 'Egress'], 'default deny covers ingress and egress')
  assert.equal((deny.spec.ingress ?? []).length + (deny.spec.egress ?? []).length, 0, 'no rule: the end of its tier denies')
  const tiers = new Map(oracle.tiers.map((t) => [t.name, t]))
  assert.ok(tiers.get('platform-baseline')!.order > tiers.get('default')!.order && tiers.get('platform-baseline')!.defaultAction === 'Deny', 'the deny tier comes after dev1\'s')
  assert.ok(tiers.get('platform')!.order < tiers.get('default')!.order && tiers.get('platform')!.defaultAction === 'Pass', 'the DNS tier comes before and passes the rest')
})

test('RBAC: dev1\'s team edits default-tier policies in dev1 and gets nothing on the platform\'s tiers', () => {
  const rules = (kind: string) => byKind(`rbac.authorization.k8s.io/v1/${kind}`).flatMap((r) => (r.rules ?? []).map((rule: { resources: string[]; resourceNames?: string[]; verbs: string[] }) => ({ role: r, ...rule })))
  const all = [...rules('ClusterRole'), ...rules('Role')]
  const bindings = [...byKind('rbac.authorization.k8s.io/v1/ClusterRoleBinding'), ...byKind('rbac.authorization.k8s.io/v1/RoleBinding')]
  for (const b of bindings) assert.deepEqual(b.subjects.map((s: { kind: string; name: string }) => `${s.kind}/${s.name}`), ['Group/dev1-team'])
  const team = all.filter((r) => bindings.some((b) => b.roleRef.name === r.role.metadata.name && b.roleRef.kind === r.role.kind && (r.role.kind === 'ClusterRole' || b.metadata.namespace === r.role.metadata.namespace)))
  const tierGets = team.filter((r) => r.resources.includes('tiers'))
  assert.deepEqual(tierGets.flatMap((r) => r.resourceNames ?? ['*']), ['default'], 'get on the default tier only')
  assert.deepEqual(tierGets.flatMap((r) => r.verbs), ['get'], 'never writes a tier')
  const policyRules = team.filter((r) => r.resources.some((x: string) => x.startsWith('tier.')))
  assert.deepEqual(policyRules.flatMap((r) => r.resources), ['tier.networkpolicies'], 'no tier.globalnetworkpolicies')
  assert.deepEqual(policyRules.flatMap((r) => r.resourceNames ?? ['*']), ['default.*'], 'policies of the default tier only')
  for (const r of policyRules) assert.equal(r.role.kind === 'Role' ? r.role.metadata.namespace : 'cluster-wide', 'dev1', 'in dev1 only')
  assert.ok(policyRules.some((r) => r.verbs.includes('delete') && r.verbs.includes('create')), 'edits its own')
  assert.ok(!team.some((r) => r.resources.some((x: string) => /crd\.projectcalico\.org|^\*$/.test(x))), 'no storage CRDs, no wildcard')
  // every platform policy is in a tier the team cannot get
  for (const p of policies.filter((x) => x.kind === 'GlobalNetworkPolicy')) assert.ok(!(p.spec.tier ?? 'default').match(/^default$/), `${p.metadata.name} is outside the team's tier`)
})

test('policies: least privilege — exactly the intended flows on 9080, DNS only for the pods that call someone', () => {
  const eps = oracle.endpoints
  const get = (id: string) => oracle.endpoint(id)
  const allowed = (src: (typeof eps)[number], dst: (typeof eps)[number], port: number, protocol = 'TCP') => oracle.allowed(src, dst, port, protocol)
  const allowedBy = oracle.allowedBy.bind(oracle)
  const intended = new Set([...intendedPodFlows(' -> '), ...INTENDED_FROM_OUTSIDE.map((w) => `host1 -> dev1/${w}`)])
  const clients = eps.filter((e) => e.id !== 'kube-system/coredns')
  const servers = eps.filter((e) => e.namespace === 'dev1')
  const got = new Set<string>()
  for (const src of clients) for (const dst of servers) if (src !== dst && allowed(src, dst, 9080)) got.add(`${src.id} -> ${dst.id}`)
  assert.deepEqual([...got].sort(), [...intended].sort())

  // Each side on its own is least privilege too: no egress or ingress rule wider than the flows need.
  const egress = new Set<string>()
  const ingress = new Set<string>()
  for (const src of clients) {
    for (const dst of servers) {
      if (src === dst) continue
      if (src.namespace === 'dev1' && allowedBy(src, 'Egress', dst, 9080, 'TCP')) egress.add(`${src.id} -> ${dst.id}`)
      if (allowedBy(dst, 'Ingress', src, 9080, 'TCP')) ingress.add(`${src.id} -> ${dst.id}`)
    }
  }
  assert.deepEqual([...egress].sort(), [...intended].filter((f) => !f.startsWith('host1')).sort(), 'egress side')
  assert.deepEqual([...ingress].sort(), [...intended].sort(), 'ingress side')

  const callers = new Set(INTENDED_DNS.map((w) => `dev1/${w}`))
  for (const ep of servers) {
    const resolves = callers.has(ep.id)
    assert.equal(allowed(ep, get('kube-system/coredns'), 53, 'UDP'), resolves, `${ep.id} resolves names (UDP 53): ${resolves}`)
    assert.equal(allowed(ep, get('kube-system/coredns'), 53, 'TCP'), resolves, `${ep.id} resolves names (TCP 53): ${resolves}`)
    assert.ok(!allowed(ep, get('kube-system/coredns'), 80), `${ep.id}: only port 53 to CoreDNS`)
    assert.ok(!allowed(ep, get('host1'), 80), `${ep.id}: no egress outside the cluster`)
  }
  assert.ok(!allowed(get('host1'), get('dev1/productpage-v1'), 80), 'policy sees the pod port (9080), not the Service port')
  assert.ok(!allowed(get('other-range'), get('dev1/productpage-v1'), 9080), 'the other range is refused')
  assert.ok(!allowed(get('dev1/ratings-v1'), get('dev1/productpage-v1'), 9080), "the assessment's first probe is refused")
  // identity, not labels: productpage's labels under another ServiceAccount get none of its rights
  const impostor = { ...get('dev1/alpine'), id: 'dev1/impostor', labels: { app: 'productpage', version: 'v1' } }
  assert.ok(!allowed(impostor, get('dev1/details-v1'), 9080), 'a relabelled pod does not reach details')
  assert.ok(!allowed(impostor, get('kube-system/coredns'), 53, 'UDP'), 'nor resolve names')
  assert.ok(!allowed(get('host1'), impostor, 9080), 'nor receive the outside range')
})

test('policies: the platform\'s deny still holds when dev1 deletes every policy of its own', () => {
  const platformOnly = new LeastPrivilegeOracle(docs.filter((d) => !/^manifests\/5[1-9]-/.test(d.file)))
  const get = (id: string) => platformOnly.endpoint(id)
  assert.ok(!platformOnly.allowed(get('dev1/ratings-v1'), get('dev1/productpage-v1'), 9080))
  assert.ok(!platformOnly.allowed(get('default/alpine'), get('dev1/details-v1'), 9080))
  assert.ok(platformOnly.allowed(get('dev1/productpage-v1'), get('kube-system/coredns'), 53, 'UDP'), 'DNS for callers is the platform\'s too')
})

test('policies: without them the lab is open (the demo starts from a baseline where everything answers)', () => {
  const withoutSteps: Doc[] = docs.filter((d) => !/^manifests\/(49|5\d)-/.test(d.file))
  // the one policy applied with the lab is the platform's standing DNS allow: an Allow, in a tier that passes the rest
  assert.deepEqual(withoutSteps.filter((d) => /NetworkPolicy$/.test(String(d.obj.kind))).map((d) => `${d.file} ${String(d.obj.metadata.name)}`), ['manifests/42-policy-tiers.yaml platform.dev1-dns-for-callers'])
  const open = new LeastPrivilegeOracle(withoutSteps)
  assert.ok(open.allowed(open.endpoint('dev1/ratings-v1'), open.endpoint('dev1/productpage-v1'), 9080))
  assert.ok(open.allowed(open.endpoint('dev1/productpage-v1'), open.endpoint('dev1/details-v1'), 9080), 'a caller, past the DNS allow\'s tier')
  assert.ok(open.allowed(open.endpoint('dev1/details-v1'), open.endpoint('kube-system/coredns'), 53, 'UDP'), 'DNS for everyone while nothing denies')
})

// ---- BGP exposure: outside traffic reaches only a node with a ready productpage endpoint -------------------------
// Field semantics from Calico v3.31.7 (api/pkg/apis/projectcalico/v3, confd templates and Go); the routing twin
// (test/twin/, npm run twin:bgp) runs real BIRD on exactly these objects.

test('BGP exposure: no LoadBalancer aggregate, next hop kept towards host1, host1 filtered to LoadBalancer /32s', () => {
  const bgp = byKind('projectcalico.org/v3/BGPConfiguration')[0]
  assert.equal(bgp.spec.serviceLoadBalancerAggregation, 'Disabled', 'no node advertises the whole LoadBalancer range')
  const peer = byKind('projectcalico.org/v3/BGPPeer').find((p) => p.metadata.name === 'host1')
  assert.equal(peer.spec.nextHopMode, 'Keep')
  assert.equal(peer.spec.keepOriginalNextHop, undefined, 'the deprecated field stays unset')
  assert.equal(peer.spec.node ?? peer.spec.nodeSelector, undefined, 'a global peer: every node peers with host1')
  const filters = byKind('projectcalico.org/v3/BGPFilter')
  assert.deepEqual(peer.spec.filters, filters.map((f) => f.metadata.name), 'host1’s peering uses the lab’s filter')
  const filter = filters[0]
  const lbCidr = bgp.spec.serviceLoadBalancerIPs[0].cidr
  assert.deepEqual(filter.spec.exportV4, [
    { action: 'Reject', source: 'RemotePeers' },
    { action: 'Accept', matchOperator: 'In', cidr: lbCidr, prefixLength: { min: 32 } },
    { action: 'Reject' },
  ], 'own /32s only: nothing relayed, no aggregate, no pod block')
  assert.deepEqual(filter.spec.importV4, [{ action: 'Reject' }])
  const docsIn20 = allDocs().filter((d) => d.file === 'manifests/20-calico-bgp.yaml').map((d) => d.obj.kind)
  assert.ok(docsIn20.indexOf('BGPFilter') < docsIn20.indexOf('BGPPeer'), 'the filter is applied before the peer that names it')
  const lb = byKind('v1/Service').find((s) => s.metadata.name === LAB.lbService)
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, false, 'no node port: the LoadBalancer address is the only way in')
  assert.equal(lb.spec.ports[0].nodePort, undefined)
})

test('BGP exposure schemas refuse what Calico refuses', () => {
  const schemaOf = (kind: string) => calicoSchemaFor('projectcalico.org/v3', kind)!
  const peer = clone(byKind('projectcalico.org/v3/BGPPeer')[0])
  assert.ok(schemaOf('BGPPeer').safeParse(peer).success)
  assert.equal(schemaOf('BGPPeer').safeParse({ ...peer, spec: { ...peer.spec, nextHopMode: 'keep' } }).success, false, 'enum is case-sensitive')
  assert.equal(schemaOf('BGPPeer').safeParse({ ...peer, spec: { ...peer.spec, keepOriginalNextHop: true } }).success, false, 'not both')
  const filter = clone(byKind('projectcalico.org/v3/BGPFilter')[0])
  assert.ok(schemaOf('BGPFilter').safeParse(filter).success)
  const noOperator = clone(filter)
  delete noOperator.spec.exportV4[1].matchOperator
  assert.equal(schemaOf('BGPFilter').safeParse(noOperator).success, false, 'cidr needs matchOperator')
  const badSource = clone(filter)
  badSource.spec.exportV4[0].source = 'Peers'
  assert.equal(schemaOf('BGPFilter').safeParse(badSource).success, false)
  const v4Only = clone(filter)
  v4Only.spec.exportV4[1].prefixLength.min = 33
  assert.equal(schemaOf('BGPFilter').safeParse(v4Only).success, false)
  const bgp = clone(byKind('projectcalico.org/v3/BGPConfiguration')[0])
  bgp.spec.serviceLoadBalancerAggregation = 'Off'
  assert.equal(schemaOf('BGPConfiguration').safeParse(bgp).success, false)
})
