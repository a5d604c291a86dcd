/**
 * Debian Chromium through playwright-core (never a downloaded browser). CHROMIUM_PATH overrides
 * /usr/bin/chromium; the path must be absolute. Every response body and websocket frame a page
 * sees can be recorded (the secret-leak check reads them).
 */
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'

export async function launch() {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`)
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  })
}

/** Record everything the browser received: response bodies (text) and websocket frames. */
export function record(page, sink) {
  page.on('response', async (res) => {
    try {
      const type = res.headers()['content-type'] ?? ''
      if (/json|text|javascript|html|css/.test(type)) sink.push({ kind: 'response', url: res.url(), status: res.status(), headers: JSON.stringify(res.headers()), body: await res.text() })
      else sink.push({ kind: 'response', url: res.url(), status: res.status(), headers: JSON.stringify(res.headers()), body: '' })
    } catch {
      /* body gone (navigation): headers were still seen */
    }
  })
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => sink.push({ kind: 'ws', url: ws.url(), body: String(f.payload) }))
  })
  page.on('console', (m) => {
    if (m.type() === 'error') sink.push({ kind: 'console', url: page.url(), body: m.text() })
  })
}

export async function login(page, base, user) {
  await page.goto(base + '/')
  await page.waitForSelector('[data-testid=login-form]')
  await page.fill('input[name=email]', user.email)
  await page.fill('input[name=password]', user.password)
  await page.click('button[type=submit]')
  await page.waitForSelector('[data-testid=main-chart]')
}
