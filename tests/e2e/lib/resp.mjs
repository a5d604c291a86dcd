/**
 * A minimal Redis client (RESP2 over one TCP socket) for the end-to-end suite: enough to XADD an
 * engine event and read small replies, with no npm dependency. Commands are sent one at a time
 * (await each). Replies: simple string, error (thrown), integer, bulk string, array (nested).
 */
import net from 'node:net'

export class Resp {
  static async connect(url) {
    const u = new URL(url)
    const sock = net.createConnection({ host: u.hostname, port: Number(u.port || 6379) })
    await new Promise((ok, fail) => {
      sock.once('connect', ok)
      sock.once('error', fail)
    })
    sock.setNoDelay(true)
    const r = new Resp(sock)
    if (u.password) await r.call('AUTH', decodeURIComponent(u.password))
    const db = u.pathname.replace('/', '')
    if (db && db !== '0') await r.call('SELECT', db)
    return r
  }

  constructor(sock) {
    this.sock = sock
    this.buf = Buffer.alloc(0)
    this.waiting = []
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d])
      this.drain()
    })
  }

  call(...args) {
    const parts = [`*${args.length}\r\n`]
    for (const a of args) {
      const s = Buffer.from(String(a))
      parts.push(`$${s.length}\r\n`, s, '\r\n')
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.sock.write(Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p)))))
    })
  }

  drain() {
    while (this.waiting.length) {
      const parsed = parse(this.buf, 0)
      if (!parsed) return
      this.buf = this.buf.subarray(parsed.end)
      const w = this.waiting.shift()
      if (parsed.value instanceof Error) w.reject(parsed.value)
      else w.resolve(parsed.value)
    }
  }

  close() {
    this.sock.end()
  }
}

function parse(buf, at) {
  const nl = buf.indexOf('\r\n', at)
  if (nl < 0) return null
  const kind = String.fromCharCode(buf[at])
  const line = buf.toString('utf8', at + 1, nl)
  const next = nl + 2
  if (kind === '+') return { value: line, end: next }
  if (kind === '-') return { value: new Error(line), end: next }
  if (kind === ':') return { value: Number(line), end: next }
  if (kind === '$') {
    const n = Number(line)
    if (n < 0) return { value: null, end: next }
    if (buf.length < next + n + 2) return null
    return { value: buf.toString('utf8', next, next + n), end: next + n + 2 }
  }
  if (kind === '*') {
    const n = Number(line)
    if (n < 0) return { value: null, end: next }
    const out = []
    let pos = next
    for (let i = 0; i < n; i++) {
      const p = parse(buf, pos)
      if (!p) return null
      out.push(p.value)
      pos = p.end
    }
    return { value: out, end: pos }
  }
  throw new Error(`resp: unexpected reply type ${JSON.stringify(kind)}`)
}
