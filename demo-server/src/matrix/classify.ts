// What a probe's exit code and output mean. The rule, as cyclonus and the Kubernetes netpol e2e suite read it:
// a TCP connection was made → allowed; no answer within the connect timeout → denied (Calico drops denied packets,
// so a denied connect hangs until the client gives up); a refusal (RST) → allowed by policy, nothing listening;
// anything that means the check itself did not happen (the name did not resolve, the tool is missing, the exec
// failed) → error, which is never shown as "denied".
//
// Tools: busybox wget and nslookup in the pods (alpine, and the busybox debug container), curl on the outside
// clients. `timeout N` (busybox) wraps each one, so a connect that ignores -T still ends: exit 124/143 = timed out.
//
// The probe runners call one function, classifyProbe(tool, output): the whole classifier sits behind it.

/** The client a probe ran: busybox wget, busybox nslookup (`dns`), curl. */
export type ProbeTool = 'wget' | 'dns' | 'curl'

/**
 * Why a probe was classified the way it was:
 * connected / http-error (a TCP connection was made) · refused (allowed by policy, nothing listening: RST) ·
 * timeout (no answer within the connect timeout: Calico drops denied packets) · dns-answer / dns-timeout ·
 * dns-failed (the name did not resolve, so nothing was tested) · unreachable (ICMP: routing, not policy) ·
 * no-tool · unclassified. (The runners add exec-failed, no-pod and debug-container: the probe could not run.)
 */
export type Evidence = 'connected' | 'http-error' | 'refused' | 'timeout' | 'dns-answer' | 'dns-timeout' | 'dns-failed' | 'unreachable' | 'no-tool' | 'unclassified'

export interface Classified {
  verdict: 'allowed' | 'denied' | 'error'
  evidence: Evidence
  /** one short sentence: "connected (HTTP 200)", "no answer within 2 s: the packets were dropped" … */
  reason: string
}

export interface ProcessResult {
  /** undefined when the command reported no exit code */
  exitCode: number | undefined
  stdout: string
  stderr: string
}

/** Exit codes of a command killed by `timeout` (busybox: SIGTERM → 143; coreutils: 124) or by SIGKILL. */
const KILLED_BY_TIMEOUT = new Set([124, 137, 143])

const has = (text: string, re: RegExp): boolean => re.test(text)

function missingTool(r: ProcessResult): Classified | undefined {
  const out = `${r.stdout}\n${r.stderr}`
  if (r.exitCode === 127 || has(out, /executable file not found|: not found$|no such file or directory/im)) {
    return { verdict: 'error', evidence: 'no-tool', reason: `the probe tool is missing in the container: ${firstLine(out)}` }
  }
  return undefined
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find(Boolean)?.slice(0, 200) ?? ''
}

/** busybox (or GNU) wget: `wget -q -T S -O /dev/null URL`. */
export function classifyWget(r: ProcessResult, timeoutSeconds: number): Classified {
  const out = `${r.stdout}\n${r.stderr}`
  if (r.exitCode === 0) return { verdict: 'allowed', evidence: 'connected', reason: 'connected: the server answered' }
  const tool = missingTool(r)
  if (tool) return tool
  const http = /server returned error: (HTTP\/\S+ \d{3}[^\n]*)|ERROR (\d{3})/i.exec(out)
  if (http) return { verdict: 'allowed', evidence: 'http-error', reason: `connected: the server answered ${(http[1] ?? `HTTP ${http[2]}`).trim()}` }
  if (has(out, /connection refused/i)) {
    return { verdict: 'allowed', evidence: 'refused', reason: 'connection refused: the policy let the SYN through, nothing listens on the port' }
  }
  if (has(out, /timed out|timeout/i) || (r.exitCode !== undefined && KILLED_BY_TIMEOUT.has(r.exitCode))) {
    return { verdict: 'denied', evidence: 'timeout', reason: `no answer within ${timeoutSeconds} s: the packets were dropped` }
  }
  if (has(out, /bad address|unable to resolve|could not resolve|name or service not known|temporary failure in name resolution/i)) {
    return { verdict: 'error', evidence: 'dns-failed', reason: `the name did not resolve, so the connection was not tested: ${firstLine(out)}` }
  }
  if (has(out, /no route to host|network is unreachable|host is unreachable/i)) {
    return { verdict: 'error', evidence: 'unreachable', reason: `unreachable (routing, not policy): ${firstLine(out)}` }
  }
  if (has(out, /connection reset|empty reply|unexpected eof|short read/i)) {
    return { verdict: 'allowed', evidence: 'connected', reason: `connected, then the connection was cut: ${firstLine(out)}` }
  }
  return { verdict: 'error', evidence: 'unclassified', reason: `exit ${r.exitCode ?? '?'}, not understood: ${firstLine(out) || '(no output)'}` }
}

/** curl on an outside client: `curl -sS -o /dev/null -w %{http_code} --connect-timeout S --max-time S+1 URL`. */
export function classifyCurl(r: ProcessResult, timeoutSeconds: number): Classified {
  const out = `${r.stdout}\n${r.stderr}`
  const tool = missingTool(r)
  if (tool) return tool
  switch (r.exitCode) {
    case 0: {
      const code = /\b(\d{3})\b/.exec(r.stdout)?.[1]
      return { verdict: 'allowed', evidence: 'connected', reason: `connected${code ? ` (HTTP ${code})` : ''}` }
    }
    case 28:
      return { verdict: 'denied', evidence: 'timeout', reason: `no answer within ${timeoutSeconds} s: the packets were dropped` }
    case 7:
      if (has(out, /refused/i)) return { verdict: 'allowed', evidence: 'refused', reason: 'connection refused: the policy let the SYN through, nothing listens on the port' }
      if (has(out, /timed out|timeout/i)) return { verdict: 'denied', evidence: 'timeout', reason: `no answer within ${timeoutSeconds} s: the packets were dropped` }
      return { verdict: 'error', evidence: 'unreachable', reason: `could not connect (routing, not policy): ${firstLine(out)}` }
    case 6:
      return { verdict: 'error', evidence: 'dns-failed', reason: `the name did not resolve: ${firstLine(out)}` }
    case 52:
    case 56:
      return { verdict: 'allowed', evidence: 'connected', reason: `connected, then the connection was cut: ${firstLine(out)}` }
  }
  if (r.exitCode !== undefined && KILLED_BY_TIMEOUT.has(r.exitCode)) {
    return { verdict: 'denied', evidence: 'timeout', reason: `no answer within ${timeoutSeconds} s: the packets were dropped` }
  }
  return { verdict: 'error', evidence: 'unclassified', reason: `curl exit ${r.exitCode ?? '?'}: ${firstLine(out) || '(no output)'}` }
}

/** busybox nslookup against the cluster DNS (UDP 53). Any answer, even NXDOMAIN, means the server was reached. */
export function classifyNslookup(r: ProcessResult, timeoutSeconds: number): Classified {
  const out = `${r.stdout}\n${r.stderr}`
  const tool = missingTool(r)
  if (tool) return tool
  if (has(out, /timed out|no servers could be reached/i) || (r.exitCode !== undefined && KILLED_BY_TIMEOUT.has(r.exitCode))) {
    return { verdict: 'denied', evidence: 'dns-timeout', reason: `no DNS answer within ${timeoutSeconds} s: the packets were dropped` }
  }
  if (r.exitCode === 0 && has(out, /Address/i)) return { verdict: 'allowed', evidence: 'dns-answer', reason: 'the DNS server answered' }
  if (has(out, /NXDOMAIN|can't find|SERVFAIL|REFUSED/i)) {
    return { verdict: 'allowed', evidence: 'dns-answer', reason: `the DNS server answered: ${firstLine(out.replace(/^(Server|Address):.*$/gim, ''))}` }
  }
  if (r.exitCode === 0) return { verdict: 'allowed', evidence: 'dns-answer', reason: 'the DNS server answered' }
  return { verdict: 'error', evidence: 'unclassified', reason: `exit ${r.exitCode ?? '?'}, not understood: ${firstLine(out) || '(no output)'}` }
}

/** What a probe's output means, whichever tool printed it. */
export function classifyProbe(tool: ProbeTool, output: ProcessResult, timeoutSeconds: number): Classified {
  switch (tool) {
    case 'wget':
      return classifyWget(output, timeoutSeconds)
    case 'dns':
      return classifyNslookup(output, timeoutSeconds)
    case 'curl':
      return classifyCurl(output, timeoutSeconds)
  }
}
