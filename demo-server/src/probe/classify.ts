// What a probe's exit code and output mean. The rule, as cyclonus and the Kubernetes netpol e2e suite read it:
// a TCP connection was made → allowed; no answer within the connect timeout → denied (Calico drops denied packets,
// so a denied connect hangs until the client gives up); a refusal (RST) → allowed by policy, nothing listening;
// anything that means the check itself did not happen (the name did not resolve, the tool is missing, the exec
// failed) → error, which is never shown as "denied".
//
// Tools: busybox wget and nslookup in the pods (alpine, and the busybox debug container), curl on the outside
// clients. `timeout N` (busybox) wraps each one, so a connect that ignores -T still ends: exit 124/143 = timed out.
import type { Evidence, ObservedResult } from './cells.ts'

export interface Classified {
  result: ObservedResult
  evidence: Evidence
  detail: string
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
    return { result: 'error', evidence: 'no-tool', detail: `the probe tool is missing in the container: ${firstLine(out)}` }
  }
  return undefined
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find(Boolean)?.slice(0, 200) ?? ''
}

/** busybox (or GNU) wget: `wget -q -T S -O /dev/null URL`. */
export function classifyWget(r: ProcessResult, timeoutSeconds: number): Classified {
  const out = `${r.stdout}\n${r.stderr}`
  if (r.exitCode === 0) return { result: 'allowed', evidence: 'connected', detail: 'connected: the server answered' }
  const tool = missingTool(r)
  if (tool) return tool
  const http = /server returned error: (HTTP\/\S+ \d{3}[^\n]*)|ERROR (\d{3})/i.exec(out)
  if (http) return { result: 'allowed', evidence: 'http-error', detail: `connected: the server answered ${(http[1] ?? `HTTP ${http[2]}`).trim()}` }
  if (has(out, /connection refused/i)) {
    return { result: 'allowed', evidence: 'refused', detail: 'connection refused: the policy let the SYN through, nothing listens on the port' }
  }
  if (has(out, /timed out|timeout/i) || (r.exitCode !== undefined && KILLED_BY_TIMEOUT.has(r.exitCode))) {
    return { result: 'denied', evidence: 'timeout', detail: `no answer within ${timeoutSeconds} s: the packets were dropped` }
  }
  if (has(out, /bad address|unable to resolve|could not resolve|name or service not known|temporary failure in name resolution/i)) {
    return { result: 'error', evidence: 'dns-failed', detail: `the name did not resolve, so the connection was not tested: ${firstLine(out)}` }
  }
  if (has(out, /no route to host|network is unreachable|host is unreachable/i)) {
    return { result: 'error', evidence: 'unreachable', detail: `unreachable (routing, not policy): ${firstLine(out)}` }
  }
  if (has(out, /connection reset|empty reply|unexpected eof|short read/i)) {
    return { result: 'allowed', evidence: 'connected', detail: `connected, then the connection was cut: ${firstLine(out)}` }
  }
  return { result: 'error', evidence: 'unclassified', detail: `exit ${r.exitCode ?? '?'}, not understood: ${firstLine(out) || '(no output)'}` }
}

/** curl on an outside client: `curl -sS -o /dev/null -w %{http_code} --connect-timeout S --max-time S+1 URL`. */
export function classifyCurl(r: ProcessResult, timeoutSeconds: number): Classified {
  const out = `${r.stdout}\n${r.stderr}`
  const tool = missingTool(r)
  if (tool) return tool
  switch (r.exitCode) {
    case 0: {
      const code = /\b(\d{3})\b/.exec(r.stdout)?.[1]
      return { result: 'allowed', evidence: 'connected', detail: `connected${code ? ` (HTTP ${code})` : ''}` }
    }
    case 28:
      return { result: 'denied', evidence: 'timeout', detail: `no answer within ${timeoutSeconds} s: the packets were dropped` }
    case 7:
      if (has(out, /refused/i)) return { result: 'allowed', evidence: 'refused', detail: 'connection refused: the policy let the SYN through, nothing listens on the port' }
      if (has(out, /timed out|timeout/i)) return { result: 'denied', evidence: 'timeout', detail: `no answer within ${timeoutSeconds} s: the packets were dropped` }
      return { result: 'error', evidence: 'unreachable', detail: `could not connect (routing, not policy): ${firstLine(out)}` }
    case 6:
      return { result: 'error', evidence: 'dns-failed', detail: `the name did not resolve: ${firstLine(out)}` }
    case 52:
    case 56:
      return { result: 'allowed', evidence: 'connected', detail: `connected, then the connection was cut: ${firstLine(out)}` }
  }
  if (r.exitCode !== undefined && KILLED_BY_TIMEOUT.has(r.exitCode)) {
    return { result: 'denied', evidence: 'timeout', detail: `no answer within ${timeoutSeconds} s: the packets were dropped` }
  }
  return { result: 'error', evidence: 'unclassified', detail: `curl exit ${r.exitCode ?? '?'}: ${firstLine(out) || '(no output)'}` }
}

/** busybox nslookup against the cluster DNS (UDP 53). Any answer, even NXDOMAIN, means the server was reached. */
export function classifyNslookup(r: ProcessResult, timeoutSeconds: number): Classified {
  const out = `${r.stdout}\n${r.stderr}`
  const tool = missingTool(r)
  if (tool) return tool
  if (has(out, /timed out|no servers could be reached/i) || (r.exitCode !== undefined && KILLED_BY_TIMEOUT.has(r.exitCode))) {
    return { result: 'denied', evidence: 'dns-timeout', detail: `no DNS answer within ${timeoutSeconds} s: the packets were dropped` }
  }
  if (r.exitCode === 0 && has(out, /Address/i)) return { result: 'allowed', evidence: 'dns-answer', detail: 'the DNS server answered' }
  if (has(out, /NXDOMAIN|can't find|SERVFAIL|REFUSED/i)) {
    return { result: 'allowed', evidence: 'dns-answer', detail: `the DNS server answered: ${firstLine(out.replace(/^(Server|Address):.*$/gim, ''))}` }
  }
  if (r.exitCode === 0) return { result: 'allowed', evidence: 'dns-answer', detail: 'the DNS server answered' }
  return { result: 'error', evidence: 'unclassified', detail: `exit ${r.exitCode ?? '?'}, not understood: ${firstLine(out) || '(no output)'}` }
}
