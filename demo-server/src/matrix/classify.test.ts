// Probe output → allowed / denied / error, for the tools the matrix uses (busybox wget and nslookup, curl).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { classifyCurl, classifyNslookup, classifyWget } from './classify.ts'

const run = (exitCode: number | undefined, stderr = '', stdout = '') => ({ exitCode, stdout, stderr })

test('wget: exit 0 and an HTTP error status both mean a connection was made', () => {
  assert.deepEqual(classifyWget(run(0), 2).verdict, 'allowed')
  const http = classifyWget(run(1, 'wget: server returned error: HTTP/1.1 404 Not Found\n'), 2)
  assert.equal(http.verdict, 'allowed')
  assert.equal(http.evidence, 'http-error')
  assert.match(http.reason, /HTTP\/1\.1 404 Not Found/)
})

test('wget: a timeout is denied (Calico drops), whether wget says so or `timeout` kills it', () => {
  for (const r of [run(1, 'wget: download timed out\n'), run(1, "wget: can't connect to remote host (10.96.1.2): Connection timed out\n"), run(143), run(124)]) {
    const c = classifyWget(r, 2)
    assert.equal(c.verdict, 'denied', JSON.stringify(r))
    assert.equal(c.evidence, 'timeout')
  }
})

test('wget: refused is allowed by policy with nothing listening, shown apart', () => {
  const c = classifyWget(run(1, "wget: can't connect to remote host (10.48.0.67): Connection refused\n"), 2)
  assert.equal(c.verdict, 'allowed')
  assert.equal(c.evidence, 'refused')
})

test('wget: a name that does not resolve, a missing tool, no route: errors, never denied', () => {
  assert.equal(classifyWget(run(1, "wget: bad address 'details.dev1.svc.cluster.local:9080'\n"), 2).evidence, 'dns-failed')
  assert.equal(classifyWget(run(127, 'sh: wget: not found\n'), 2).evidence, 'no-tool')
  assert.equal(classifyWget(run(1, "wget: can't connect to remote host (10.0.0.1): No route to host\n"), 2).evidence, 'unreachable')
  assert.equal(classifyWget(run(3, 'something else\n'), 2).verdict, 'error')
  for (const r of [run(1, "wget: bad address 'x'"), run(127, 'sh: wget: not found')]) assert.equal(classifyWget(r, 2).verdict, 'error')
})

test('curl: 0 allowed with the HTTP code, 28 denied, 7 refused (allowed) or unreachable (error), 6 error', () => {
  assert.equal(classifyCurl(run(0, '', '200'), 2).reason, 'connected (HTTP 200)')
  assert.equal(classifyCurl(run(28, 'curl: (28) Connection timed out after 2001 milliseconds'), 2).verdict, 'denied')
  const refused = classifyCurl(run(7, 'curl: (7) Failed to connect to 198.19.48.10 port 80 after 1 ms: Connection refused'), 2)
  assert.deepEqual([refused.verdict, refused.evidence], ['allowed', 'refused'])
  assert.equal(classifyCurl(run(7, 'curl: (7) Failed to connect to 10.48.0.67 port 9080: No route to host'), 2).verdict, 'error')
  assert.equal(classifyCurl(run(6, 'curl: (6) Could not resolve host: x'), 2).evidence, 'dns-failed')
})

test('nslookup: any answer (even NXDOMAIN) means the DNS server was reached; a timeout is denied', () => {
  assert.equal(classifyNslookup(run(0, '', 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n'), 2).verdict, 'allowed')
  assert.equal(classifyNslookup(run(1, '', "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find nope.svc.cluster.local: NXDOMAIN\n"), 2).verdict, 'allowed')
  const t = classifyNslookup(run(1, '', ';; connection timed out; no servers could be reached\n'), 2)
  assert.deepEqual([t.verdict, t.evidence], ['denied', 'dns-timeout'])
  assert.equal(classifyNslookup(run(143), 2).verdict, 'denied')
  assert.equal(classifyNslookup(run(127, 'exec: "nslookup": executable file not found in $PATH'), 2).evidence, 'no-tool')
})
