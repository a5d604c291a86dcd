/// <reference types="vitest/config" />
/**
 * Vite config. The dashboard talks to rails_app only: `/api/...` and `/cable`.
 * - Build time: VITE_RAILS_URL (e.g. http://127.0.0.1:3000) makes the bundle call Rails cross-origin
 *   (Rails must allow this origin via DASHBOARD_ORIGIN); empty (default) means same-origin relative URLs.
 * - `vite dev` / `vite preview`: when RAILS_URL is set, /api and /cable are proxied to it, so the built
 *   bundle can be served same-origin with no CORS at all (this is what the stack launcher uses).
 */
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'

/**
 * The first chart request is the page's critical path: an inline script in index.html starts it
 * before the bundle is even parsed (window.__tbPrefetch); src/api/client.ts adopts it. Same
 * symbol/interval/limit as src/config.ts (VITE_PAIRS' first pair, 1m, FIRST_BARS = 1000).
 */
function prefetchCandles(): Plugin {
  return {
    name: 'tradingbot-prefetch-candles',
    transformIndexHtml(html, ctx) {
      const env = ctx.server ? process.env : process.env
      const symbol = (env.VITE_PAIRS ?? 'BTCUSDT,ETHUSDT').split(',')[0]!.trim()
      const base = (env.VITE_RAILS_URL ?? '').replace(/\/$/, '')
      const url = `${base}/api/v1/market/candles?symbol=${encodeURIComponent(symbol)}&interval=1m&limit=1000`
      const js = `window.__tbPrefetch={key:${JSON.stringify(`${symbol}|1m|1000`)},res:fetch(${JSON.stringify(url)},{credentials:'include',headers:{Accept:'application/json'}})};window.__tbPrefetch.res.catch(function(){})`
      return html.replace('<head>', `<head>\n    <script>${js}</script>`)
    },
  }
}

const railsUrl = process.env.RAILS_URL
const proxy = railsUrl
  ? {
      '/api': { target: railsUrl, changeOrigin: false },
      '/cable': { target: railsUrl, ws: true, changeOrigin: false },
    }
  : undefined

export default defineConfig({
  plugins: [react(), prefetchCandles()],
  server: { host: '127.0.0.1', proxy },
  preview: { host: '127.0.0.1', proxy },
  build: { chunkSizeWarningLimit: 1000, sourcemap: false },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
})
