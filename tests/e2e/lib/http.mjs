/**
 * Plain HTTP checks from Node (no browser): a tiny cookie jar so a test can log in as a given user
 * and call Rails like the dashboard does, and see status codes and bodies exactly.
 */
export class Client {
  constructor(base) {
    this.base = base.replace(/\/$/, '')
    this.cookies = new Map()
  }

  async request(method, path, body) {
    const headers = { Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' })
    for (const c of res.headers.getSetCookie?.() ?? []) {
      const [pair] = c.split(';')
      const i = pair.indexOf('=')
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim())
    }
    const text = await res.text()
    let json = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = null
    }
    return { status: res.status, text, json, headers: res.headers }
  }

  get(path) {
    return this.request('GET', path)
  }

  post(path, body = {}) {
    return this.request('POST', path, body)
  }

  async login(email, password) {
    const r = await this.post('/api/session', { email, password })
    if (r.status !== 200) throw new Error(`login ${email}: HTTP ${r.status} ${r.text.slice(0, 200)}`)
    return r
  }
}
