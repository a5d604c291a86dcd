/**
 * HTTP client for rails_app (the only server the dashboard talks to).
 * Rules: every call is relative to RAILS_BASE (build-time VITE_RAILS_URL, default same origin) and
 * sends the session cookie (`credentials: 'include'`); JSON in, JSON out; a non-2xx answer becomes
 * an ApiError carrying the status and the server's `error`/`detail` message (401 means "log in",
 * 403 "not allowed for your role", 502/504 "engine unreachable / timed out"). The engine token is
 * never seen here: Rails adds it server-side.
 */
import type { components } from './engine'

export type Schemas = components['schemas']
export type Candle = Schemas['Candle']
export type CandlesResponse = Schemas['CandlesResponse']
export type SignalOut = Schemas['SignalOut']
export type StrategyOut = Schemas['StrategyOut']
export type BacktestIn = Schemas['BacktestIn']
export type BacktestOut = Schemas['BacktestOut']
export type BacktestAccepted = Schemas['BacktestAccepted']
export type BacktestTradesOut = Schemas['BacktestTradesOut']
export type BotsOut = Schemas['BotsOut']
export type PositionsOut = Schemas['PositionsOut']
export type OrdersOut = Schemas['OrdersOut']
export type TradesOut = Schemas['TradesOut']
export type AccountOut = Schemas['AccountOut']
export type PnlOut = Schemas['PnlOut']
export type CommandAccepted = Schemas['CommandAccepted']

export const RAILS_BASE: string = (import.meta.env.VITE_RAILS_URL ?? '').replace(/\/$/, '')

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown = null,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

function messageOf(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>
    const m = b.error ?? b.detail ?? b.message
    if (typeof m === 'string') return m
    if (m !== undefined) return JSON.stringify(m)
  }
  return `HTTP ${status}`
}

/** Last measured round-trip per path prefix, for the health panel. */
export const latency = { lastMs: null as number | null, errors: 0, calls: 0 }

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, headers, ...rest } = init
  const t0 = performance.now()
  latency.calls++
  let res: Response
  try {
    res = await fetch(`${RAILS_BASE}${path}`, {
      credentials: 'include',
      ...rest,
      headers: { Accept: 'application/json', ...(json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    })
  } catch (e) {
    latency.errors++
    throw new ApiError(0, `network error: ${(e as Error).message}`)
  }
  latency.lastMs = performance.now() - t0
  const text = await res.text()
  let body: unknown = null
  if (text) {
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
  }
  if (!res.ok) {
    if (res.status >= 500) latency.errors++
    throw new ApiError(res.status, messageOf(res.status, body), body)
  }
  return body as T
}

export const get = <T>(path: string): Promise<T> => api<T>(path)
export const post = <T>(path: string, json: unknown = {}): Promise<T> => api<T>(path, { method: 'POST', json })

const q = (params: Record<string, string | number | undefined>): string =>
  new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, String(v)])).toString()

export interface User {
  email: string
  role: 'viewer' | 'operator'
}

export const Session = {
  me: () => get<{ user: User }>('/api/me'),
  login: (email: string, password: string) => post<{ user: User }>('/api/session', { email, password }),
  logout: () => api<unknown>('/api/session', { method: 'DELETE' }),
}

/**
 * The first chart load starts at boot, in parallel with GET /api/me (it is the page's critical
 * path); the chart takes it if symbol and interval match. Without a session it fails with 401 and
 * is simply dropped.
 */
const prefetched = new Map<string, Promise<CandlesResponse>>()
declare global {
  interface Window {
    __tbPrefetch?: { key: string; res: Promise<Response> }
  }
}
export function prefetchCandles(symbol: string, interval: string, limit: number): void {
  const key = `${symbol}|${interval}|${limit}`
  const early = typeof window !== 'undefined' ? window.__tbPrefetch : undefined
  const p =
    early && early.key === key
      ? early.res.then(async (res) => {
          if (!res.ok) throw new ApiError(res.status, `HTTP ${res.status}`)
          return (await res.json()) as CandlesResponse
        })
      : get<CandlesResponse>(`/api/v1/market/candles?${q({ symbol, interval, limit })}`)
  p.catch(() => undefined)
  prefetched.set(key, p)
}
function takePrefetched(symbol: string, interval: string, limit: number): Promise<CandlesResponse> | undefined {
  const key = `${symbol}|${interval}|${limit}`
  const p = prefetched.get(key)
  prefetched.delete(key)
  return p
}

export const Engine = {
  candles: (symbol: string, interval: string, limit = 5000, end?: string, start?: string) =>
    (!end && !start ? takePrefetched(symbol, interval, limit)?.catch(() => get<CandlesResponse>(`/api/v1/market/candles?${q({ symbol, interval, limit })}`)) : undefined) ??
    get<CandlesResponse>(`/api/v1/market/candles?${q({ symbol, interval, limit, end, start })}`),
  /** `at`: the data clock (a replay's bar time); omitted: the engine's now. */
  signal: (symbol: string, interval: string, at?: string) => get<SignalOut>(`/api/v1/signals/${encodeURIComponent(symbol)}?${q({ interval, at })}`),
  strategies: () => get<{ strategies: StrategyOut[] }>('/api/v1/strategies'),
  bots: () => get<BotsOut>('/api/v1/bots'),
  bot: (id: string) => get<Schemas['BotOut']>(`/api/v1/bots/${encodeURIComponent(id)}`),
  control: (id: string, command: 'start' | 'stop' | 'pause' | 'resume' | 'emergency-stop', reason = '') =>
    post<CommandAccepted>(`/api/v1/bots/${encodeURIComponent(id)}/${command}`, { reason } satisfies Schemas['CommandIn']),
  positions: () => get<PositionsOut>('/api/v1/positions'),
  orders: (botId?: string) => get<OrdersOut>(`/api/v1/orders?${q({ bot_id: botId, limit: 200 })}`),
  trades: (botId?: string) => get<TradesOut>(`/api/v1/trades?${q({ bot_id: botId, limit: 1000 })}`),
  account: (botId?: string) => get<AccountOut>(`/api/v1/account?${q({ bot_id: botId })}`),
  pnl: (botId?: string) => get<PnlOut>(`/api/v1/pnl?${q({ bot_id: botId })}`),
  sentiment: (asset: string, at?: string) => get<unknown>(`/api/v1/sentiment/${encodeURIComponent(asset)}?${q({ at })}`),
  models: () => get<Schemas['ModelsOut']>('/api/v1/models'),
  submitBacktest: (spec: BacktestIn) => post<BacktestAccepted>('/api/v1/backtests', spec),
  backtest: (id: string) => get<BacktestOut>(`/api/v1/backtests/${encodeURIComponent(id)}`),
  backtestReport: (id: string) => get<unknown>(`/api/v1/backtests/${encodeURIComponent(id)}/report`),
  backtestTrades: (id: string) => get<BacktestTradesOut>(`/api/v1/backtests/${encodeURIComponent(id)}/trades?limit=1000`),
}

export const Rails = {
  health: () => get<Record<string, unknown>>('/api/health'),
}
