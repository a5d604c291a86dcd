/**
 * The dashboard, end to end, in Debian Chromium against the whole stack (PostgreSQL, Redis, engine
 * API, worker, trader replaying real data, Rails on puma + relay, the built dashboard).
 * Order matters: emergency stop runs last among the live checks (it halts the bot).
 * Measures go to var/e2e/metrics.json; screenshots to var/e2e/screenshots/.
 * Budgets (issue 9): first load <= 2 s on loopback; a published bar on the chart <= 200 ms;
 * with 50,000 bars the median zoom interaction renders its frame <= 100 ms (setData + first frame
 * is reported, with a 5 s sanity bound: a one-off load whose time follows the machine's load).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { resolve } from 'node:path'
import { stackUp, OUT } from './lib/stack.mjs'
import { Resp } from './lib/resp.mjs'
import { Client } from './lib/http.mjs'
import { launch, login, record } from './lib/browser.mjs'

const SHOTS = resolve(OUT, 'screenshots')
const BUDGET = { firstLoadMs: 2000, barLatencyMs: 200, setData50kMs: 5000, interactionMs: 100 }
const metrics = { budgets: BUDGET, measured: {}, notes: [] }
const seen = [] // everything any browser page received (leak check)

let stack
let browser
let redis
let ctx // operator context
let page
let symbol

const shot = (name) => page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true })
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const pctl = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]

before(async () => {
  mkdirSync(SHOTS, { recursive: true })
  stack = stackUp()
  metrics.measured.stackStartMs = stack.startMs
  metrics.launcher = stack.launcher ?? 'E2E_STACK_JSON'
  redis = await Resp.connect(stack.redis)
  browser = await launch()
}, { timeout: 400_000 })

after(async () => {
  metrics.loadavgAtEnd = os.loadavg()
  writeFileSync(resolve(OUT, 'metrics.json'), JSON.stringify(metrics, null, 2))
  console.log('e2e metrics:', JSON.stringify(metrics.measured))
  await browser?.close().catch(() => {})
  redis?.close()
  stack?.down()
})

describe('access control (HTTP, no browser)', () => {
  it('401 without a session, for Rails and proxied engine routes', async () => {
    const anon = new Client(stack.rails)
    for (const path of ['/api/me', '/api/v1/bots', '/api/v1/market/candles?symbol=BTCUSDT&interval=1m&limit=5', '/api/health']) {
      const r = await anon.get(path)
      if (path === '/api/health' && r.status === 200) continue // health may be public; it must still not leak
      assert.equal(r.status, 401, `${path}: ${r.status} ${r.text.slice(0, 200)}`)
      assert.ok(r.json && typeof r.json.error === 'string', `${path}: JSON {error}`)
    }
    assert.equal((await anon.post('/api/v1/bots/demo/emergency-stop', { reason: 'anon' })).status, 401)
  })

  it('a viewer reads but gets 403 on every control route', async () => {
    const viewer = new Client(stack.rails)
    const me = await viewer.login(stack.viewer.email, stack.viewer.password)
    assert.equal(me.json.user.role, 'viewer')
    assert.equal((await viewer.get('/api/v1/strategies')).status, 200)
    const bots = await viewer.get('/api/v1/bots')
    assert.equal(bots.status, 200, bots.text.slice(0, 200))
    const id = bots.json?.bots?.[0]?.id ?? 'demo'
    for (const cmd of ['start', 'stop', 'pause', 'resume', 'emergency-stop']) {
      const r = await viewer.post(`/api/v1/bots/${id}/${cmd}`, { reason: 'viewer e2e' })
      assert.equal(r.status, 403, `${cmd}: ${r.status} ${r.text.slice(0, 200)}`)
    }
    assert.equal((await viewer.post('/api/v1/backtests', {})).status, 403)
  })

  it('wrong password is 401 and sets no session', async () => {
    const c = new Client(stack.rails)
    const r = await c.post('/api/session', { email: stack.operator.email, password: 'wrong-password' })
    assert.equal(r.status, 401)
    assert.equal((await c.get('/api/me')).status, 401)
  })
})

describe('dashboard in Chromium (operator)', () => {
  it('logs in and loads the dashboard full of candles within the first-load budget', async () => {
    ctx = await browser.newContext({ viewport: { width: 1600, height: 1400 } })
    page = await ctx.newPage()
    record(page, seen)
    await page.goto(stack.dashboard + '/')
    await page.waitForSelector('[data-testid=login-form]')
    await page.screenshot({ path: resolve(SHOTS, 'login.png') })
    await login(page, stack.dashboard, stack.operator)
    await page.waitForFunction(() => window.__tb?.chartReady && window.__tb.bars() > 100, null, { timeout: 30_000 })
    symbol = await page.evaluate(() => window.__tb.symbol)

    // First load: a fresh context (cold cache) with the session cookie, goto('/') until the chart
    // has drawn candles. Three loads; the budget applies to the median (all samples reported).
    const loads = []
    for (let i = 0; i < 3; i++) {
      const cold = await browser.newContext({ viewport: { width: 1600, height: 1400 }, storageState: await ctx.storageState() })
      const p2 = await cold.newPage()
      record(p2, seen)
      const t0 = Date.now()
      await p2.goto(stack.dashboard + '/')
      await p2.waitForFunction(() => window.__tb?.chartReady && window.__tb.bars() > 0, null, { timeout: 30_000, polling: 10 })
      loads.push(Date.now() - t0)
      await cold.close()
    }
    const firstLoad = pctl(loads, 50)
    metrics.measured.firstLoadMs = { median: firstLoad, samples: loads, loadavg1m: os.loadavg()[0], cpus: os.cpus().length }
    console.log(`first load (goto -> candles drawn) ms: ${JSON.stringify(metrics.measured.firstLoadMs)}`)
    assert.ok(firstLoad <= BUDGET.firstLoadMs, `first load median ${firstLoad} ms > ${BUDGET.firstLoadMs} ms (samples ${loads}, load average ${os.loadavg()[0]})`)

    const canvases = await page.locator('[data-testid=main-chart] canvas').count()
    assert.ok(canvases >= 3, `chart canvases: ${canvases}`)
    await shot('dashboard')
  })

  it('the chart updates live from the trader replaying real data', async () => {
    const before = await page.evaluate(() => window.__tb.barApplied.length)
    await page.waitForFunction((n) => window.__tb.barApplied.length > n + 2, before, { timeout: 120_000 })
    const live = await page.evaluate(() => window.__tb.barApplied.slice(-3))
    assert.ok(live.every((b) => Number.isFinite(b.close) && b.close > 0))
    const pairPrice = await page.textContent(`[data-testid=price-${symbol}]`)
    assert.notEqual(pairPrice?.trim(), '—')
    await shot('chart-live')
  })

  it('a bar published to the engine stream reaches the chart within 200 ms', async () => {
    const samples = []
    for (let i = 0; i < 15; i++) {
      const last = await page.evaluate(() => window.__tb.lastBar())
      // Re-publish the chart's own last bar (same time, same values): drawn as a replace, so the
      // chart's content does not change; the event id tells this bar from the trader's.
      const data = JSON.stringify({ interval: '1m', open_time: last.time * 1000, open: String(last.open), high: String(last.high), low: String(last.low), close: String(last.close), volume: String(last.volume) })
      const t0 = Date.now()
      const id = await redis.call('XADD', 'tradingbot:events', 'MAXLEN', '~', '100000', '*', 'type', 'bar', 'bot_id', '', 'symbol', symbol, 'ts', new Date(t0).toISOString(), 'data', data)
      const got = await page
        .waitForFunction((eid) => window.__tb.barApplied.find((b) => b.id === eid)?.at ?? false, id, { timeout: 5000, polling: 'raf' })
        .then((h) => h.jsonValue())
        .catch(() => null)
      if (got === null) {
        metrics.notes.push(`latency sample ${i}: event ${id} not drawn within 5 s (a newer replay bar may have superseded it)`)
        continue
      }
      samples.push(got - t0)
      await sleep(100)
    }
    assert.ok(samples.length >= 10, `only ${samples.length} latency samples`)
    metrics.measured.barLatencyMs = { n: samples.length, p50: pctl(samples, 50), p95: pctl(samples, 95), max: Math.max(...samples) }
    console.log(`publish -> chart latency ms: ${JSON.stringify(metrics.measured.barLatencyMs)}`)
    assert.ok(pctl(samples, 95) <= BUDGET.barLatencyMs, `p95 ${pctl(samples, 95)} ms > ${BUDGET.barLatencyMs} ms`)
  })

  it('a trade appears in the history when the bot trades', async () => {
    await page.waitForSelector('[data-testid=trade-row]', { timeout: 240_000 })
    const n = await page.locator('[data-testid=trade-row]').count()
    assert.ok(n > 0)
    const count = Number(await page.textContent('[data-testid=trade-count]'))
    assert.equal(count, Math.min(n, count))
    await page.locator('[data-testid=trade-history]').scrollIntoViewIfNeeded()
    await shot('trade-history')
  })

  it('a backtest submitted from the page shows its result', async () => {
    await page.locator('[data-testid=backtests]').scrollIntoViewIfNeeded()
    await page.waitForFunction(() => document.querySelector('select[aria-label=strategy]')?.options.length > 0, null, { timeout: 20_000 })
    await page.selectOption('select[aria-label=strategy]', { index: 0 })
    await page.click('[data-testid=bt-submit]')
    await page.waitForSelector('[data-testid=bt-result][data-status=done], [data-testid=bt-result][data-status=failed], [data-testid=bt-error]', { timeout: 180_000 })
    const err = await page.locator('[data-testid=bt-error]').textContent().catch(() => null)
    assert.equal(err, null, `backtest submit error: ${err}`)
    assert.equal(await page.getAttribute('[data-testid=bt-result]', 'data-status'), 'done')
    const trades = await page.textContent('[data-metric=trades]')
    assert.match(trades ?? '', /^\d+$/)
    await page.waitForSelector('[data-testid=bt-report]', { timeout: 20_000 })
    await page.locator('[data-testid=backtests]').scrollIntoViewIfNeeded()
    await shot('backtest')
  })

  it('stays responsive with 50,000 bars', async () => {
    const r = await page.evaluate(async () => {
      const raf = () => new Promise((ok) => requestAnimationFrame(() => ok(performance.now())))
      const res = await fetch(`/api/v1/market/candles?symbol=${window.__tb.symbol}&interval=1m&limit=5000`, { credentials: 'include' })
      const real = (await res.json()).candles
      // 50,000 bars: the real bars tiled forward in time, each tile rescaled to continue from the
      // previous close (real shapes, continuous prices).
      const bars = []
      let t = Math.floor(real[0].time / 1000)
      let scale = 1
      while (bars.length < 50_000) {
        for (const c of real) {
          if (bars.length >= 50_000) break
          bars.push({ time: t, open: c.open * scale, high: c.high * scale, low: c.low * scale, close: c.close * scale, volume: c.volume })
          t += 60
        }
        scale = bars[bars.length - 1].close / real[0].open
      }
      const t0 = performance.now()
      const setDataMs = window.__tb.setBars(bars)
      const firstFrame = (await raf()) - t0
      const canvas = document.querySelector('[data-testid=main-chart] canvas')
      const box = canvas.getBoundingClientRect()
      const frames = []
      const before = window.__tb.visibleRange()
      for (let i = 0; i < 11; i++) {
        const s = performance.now()
        canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: i % 2 ? 120 : -120, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2, bubbles: true, cancelable: true }))
        await raf()
        frames.push((await raf()) - s)
      }
      // the zooms really changed the view (odd ones zoom in, even out; the last one zooms in)
      const afterRange = window.__tb.visibleRange()
      return { bars: window.__tb.bars(), setDataMs, firstFrameMs: firstFrame, interactionMs: frames, zoomed: !!before && !!afterRange && Math.abs(afterRange.to - afterRange.from - (before.to - before.from)) > 0.5 }
    })
    const worst = Math.max(...r.interactionMs)
    metrics.measured.bars50k = { bars: r.bars, loadavg1m: os.loadavg()[0], setDataMs: Math.round(r.setDataMs), firstFrameMs: Math.round(r.firstFrameMs), interactionP50Ms: Math.round(pctl(r.interactionMs, 50)), interactionMaxMs: Math.round(worst) }
    console.log(`50k bars: ${JSON.stringify(metrics.measured.bars50k)}`)
    await shot('chart-50k')
    assert.equal(r.bars, 50_000)
    assert.ok(r.zoomed, 'the wheel events did not change the visible range')
    // Responsiveness = interaction: the median zoom renders within 100 ms. Loading 50,000 bars is a
    // one-off (reported; sanity bound only: it scales with the machine's load).
    assert.ok(pctl(r.interactionMs, 50) <= BUDGET.interactionMs, `zoom frame median ${pctl(r.interactionMs, 50)} ms (all: ${r.interactionMs.map(Math.round)})`)
    assert.ok(r.firstFrameMs <= BUDGET.setData50kMs, `setData + first frame ${r.firstFrameMs} ms`)
    await page.reload()
    await page.waitForFunction(() => window.__tb?.chartReady, null, { timeout: 30_000 })
  })

  it('a viewer sees the dashboard read-only', async () => {
    const vctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } })
    const vp = await vctx.newPage()
    record(vp, seen)
    await login(vp, stack.dashboard, stack.viewer)
    await vp.waitForSelector('[data-testid=read-only]')
    assert.equal(await vp.locator('[data-testid=emergency-stop]').count(), 0)
    assert.equal(await vp.locator('[data-testid=bt-submit]').isDisabled(), true)
    await vp.screenshot({ path: resolve(SHOTS, 'viewer.png') })
    await vctx.close()
  })

  it('emergency stop (confirmed) flattens and shows the halted state', async () => {
    await page.locator('[data-testid=controls]').scrollIntoViewIfNeeded()
    await page.click('[data-testid=emergency-stop]')
    await page.waitForSelector('[data-testid=confirm-dialog]')
    await shot('emergency-confirm')
    await page.fill('[data-testid=confirm-dialog] input', 'e2e emergency stop')
    await page.click('[data-testid=confirm-emergency-stop]')
    await page.waitForSelector('[data-testid=halted-banner]', { timeout: 30_000 })
    assert.equal((await page.textContent('[data-testid=bot-state]'))?.trim(), 'halted')
    // flattened: the engine reports no open position for the halted bot
    const api = new Client(stack.rails)
    await api.login(stack.operator.email, stack.operator.password)
    let open = null
    for (let i = 0; i < 30; i++) {
      const r = await api.get('/api/v1/positions')
      assert.equal(r.status, 200)
      open = (r.json.positions ?? []).filter((p) => Number(p.qty) !== 0)
      if (!open.length) break
      await sleep(1000)
    }
    assert.deepEqual(open, [], 'positions left open after the emergency stop')
    await page.waitForSelector('[data-testid=positions-empty]', { timeout: 15_000 })
    await shot('halted')
  })
})

describe('secrets', () => {
  it('the engine token never reaches the browser (pages, assets, API bodies and headers, websocket frames)', async () => {
    assert.ok(stack.token, 'the suite does not know the engine token (set E2E_ENGINE_TOKEN with E2E_STACK_JSON)')
    assert.ok(seen.length > 20, `recorded only ${seen.length} responses/frames`)
    const leaks = seen.filter((s) => (s.body ?? '').includes(stack.token) || (s.headers ?? '').includes(stack.token))
    assert.deepEqual(leaks.map((l) => `${l.kind} ${l.url}`), [])
    const html = await (await fetch(stack.dashboard + '/')).text()
    assert.ok(!html.includes(stack.token))
    metrics.measured.recordedResponsesAndFrames = seen.length
    const consoleErrors = seen.filter((s) => s.kind === 'console')
    metrics.notes.push(...consoleErrors.slice(0, 20).map((c) => `console error: ${c.body}`))
  })
})
