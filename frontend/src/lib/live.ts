/**
 * The live state built from relayed engine events (a pure reducer; React holds the state).
 * Rules:
 * - Events are applied in arrival order; an event id seen before is ignored (the relay resumes
 *   after its last id, but a reconnect may repeat one).
 * - Prices: the close of the newest `bar` per symbol (an older bar never overwrites a newer one).
 * - Positions are keyed by bot|symbol; a position with quantity 0 is removed.
 * - Lists (orders, fills, risk, venue errors) are newest first and capped.
 * - A `bot` event with state "halted" or a `risk` refusal whose check is the kill switch marks the
 *   bot halted until a later `bot` event says otherwise.
 * Bars themselves do not live here: the chart keeps its own arrays (50,000 bars would make every
 * React update copy them).
 */
import type { AnyEvent, BookData, BotState, HealthData } from '../api/events'

export interface PriceTick {
  price: number
  time: number // bar open time, epoch ms
  open: number
  closeTime: number // bar close time (open + the bar's interval), epoch ms
}

export interface LivePosition {
  at: number // when the browser received it (ms)
  botId: string
  symbol: string
  side: string
  quantity: number
  entryPrice: number
  markPrice: number
  unrealizedPnl: number
  stopPrice: number | null
  takeProfit: number | null
}

export interface LiveState {
  seen: Set<string>
  eventCount: number
  lastEventAt: number | null // ms, when the browser received the latest event
  lastDataTs: string | null // engine ts of the latest event
  prices: Record<string, PriceTick>
  books: Record<string, BookData & { ts: string }>
  signals: Record<string, { ts: string; action: string; strategy: string; score: number | null; reasons: string[]; components: Record<string, unknown> }>
  positions: Record<string, LivePosition>
  flat: string[] // keys whose latest position event said quantity 0
  flatAt: Record<string, number>
  orders: { ts: string; botId: string; symbol: string; side: string; type: string; status: string; quantity: string; price: string | null; purpose: string; reason: string }[]
  fills: { ts: string; botId: string; symbol: string; side: string; price: number; quantity: number; fee: number }[]
  equity: { ts: string; equity: number; realized: number; unrealized: number; drawdownPct: number } | null
  equityCurve: { time: number; equity: number }[]
  bots: Record<string, { state: BotState; mode: string; reason: string; ts: string }>
  risk: { ts: string; botId: string; approved: boolean; check: string; reasons: string[] }[]
  health: Record<string, HealthData & { ts: string }>
  venueErrors: { ts: string; code: string; message: string; endpoint: string }[]
  reconciliation: { ts: string; ok: boolean; mismatches: string[] } | null
}

export function initialLive(): LiveState {
  return {
    seen: new Set(),
    eventCount: 0,
    lastEventAt: null,
    lastDataTs: null,
    prices: {},
    books: {},
    signals: {},
    positions: {},
    flat: [],
    flatAt: {},
    orders: [],
    fills: [],
    equity: null,
    equityCurve: [],
    bots: {},
    risk: [],
    health: {},
    venueErrors: [],
    reconciliation: null,
  }
}

const CAP = { orders: 200, fills: 500, risk: 100, venueErrors: 50, curve: 5000, seen: 5000 }

const n = (v: unknown): number => {
  const x = typeof v === 'number' ? v : Number(v)
  return Number.isFinite(x) ? x : 0
}
const nOrNull = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : null)

function capped<T>(list: T[], item: T, cap: number): T[] {
  const out = [item, ...list]
  return out.length > cap ? out.slice(0, cap) : out
}

export function applyEvent(state: LiveState, ev: AnyEvent, receivedAt: number = Date.now()): LiveState {
  if (ev.id && state.seen.has(ev.id)) return state
  const seen = new Set(state.seen)
  if (ev.id) {
    seen.add(ev.id)
    if (seen.size > CAP.seen) seen.delete(seen.values().next().value as string)
  }
  const s: LiveState = { ...state, seen, eventCount: state.eventCount + 1, lastEventAt: receivedAt, lastDataTs: ev.ts || state.lastDataTs }
  switch (ev.type) {
    case 'bar': {
      const prev = s.prices[ev.symbol]
      if (!prev || ev.data.open_time >= prev.time)
        s.prices = { ...s.prices, [ev.symbol]: { price: n(ev.data.close), time: ev.data.open_time, open: n(ev.data.open), closeTime: ev.data.open_time + intervalMs(ev.data.interval) } }
      break
    }
    case 'book':
      s.books = { ...s.books, [ev.symbol]: { ...ev.data, ts: ev.ts } }
      break
    case 'signal':
      s.signals = {
        ...s.signals,
        [ev.symbol]: { ts: ev.ts, action: ev.data.action, strategy: ev.data.strategy, score: ev.data.score, reasons: ev.data.reasons ?? [], components: ev.data.components ?? {} },
      }
      break
    case 'position': {
      const key = `${ev.bot_id}|${ev.symbol}`
      const qty = n(ev.data.quantity)
      const positions = { ...s.positions }
      if (qty === 0) {
        delete positions[key]
        s.flat = s.flat.includes(key) ? s.flat : [...s.flat, key]
        s.flatAt = { ...s.flatAt, [key]: receivedAt }
      } else {
        s.flat = s.flat.filter((k) => k !== key)
        positions[key] = {
          at: receivedAt,
          botId: ev.bot_id,
          symbol: ev.symbol,
          side: ev.data.side.toUpperCase(),
          quantity: qty,
          entryPrice: n(ev.data.entry_price),
          markPrice: n(ev.data.mark_price),
          unrealizedPnl: n(ev.data.unrealized_pnl),
          stopPrice: nOrNull(ev.data.stop_price),
          takeProfit: nOrNull(ev.data.take_profit),
        }
      }
      s.positions = positions
      break
    }
    case 'order':
      s.orders = capped(
        s.orders,
        { ts: ev.ts, botId: ev.bot_id, symbol: ev.symbol, side: ev.data.side, type: ev.data.type, status: ev.data.status, quantity: ev.data.quantity, price: ev.data.price, purpose: ev.data.purpose, reason: ev.data.reason },
        CAP.orders,
      )
      break
    case 'fill':
      s.fills = capped(s.fills, { ts: ev.ts, botId: ev.bot_id, symbol: ev.symbol, side: ev.data.side, price: n(ev.data.price), quantity: n(ev.data.quantity), fee: n(ev.data.fee) }, CAP.fills)
      break
    case 'equity': {
      const e = { ts: ev.ts, equity: n(ev.data.equity), realized: n(ev.data.realized_pnl), unrealized: n(ev.data.unrealized_pnl), drawdownPct: n(ev.data.drawdown_pct) }
      s.equity = e
      const t = Date.parse(ev.ts)
      if (Number.isFinite(t)) {
        const curve = [...s.equityCurve, { time: t, equity: e.equity }]
        s.equityCurve = curve.length > CAP.curve ? curve.slice(-CAP.curve) : curve
      }
      break
    }
    case 'bot':
      s.bots = { ...s.bots, [ev.bot_id]: { state: ev.data.state, mode: ev.data.mode, reason: ev.data.reason, ts: ev.ts } }
      break
    case 'risk':
      s.risk = capped(s.risk, { ts: ev.ts, botId: ev.bot_id, approved: ev.data.approved, check: ev.data.check, reasons: ev.data.reasons ?? [] }, CAP.risk)
      if (!ev.data.approved && /kill|emergency|halt/i.test(ev.data.check) && ev.bot_id) {
        const prev = s.bots[ev.bot_id]
        s.bots = { ...s.bots, [ev.bot_id]: { state: 'halted', mode: prev?.mode ?? '', reason: ev.data.reasons.join('; ') || ev.data.check, ts: ev.ts } }
      }
      break
    case 'health':
      s.health = { ...s.health, [ev.data.component]: { ...ev.data, ts: ev.ts } }
      break
    case 'reconciliation':
      s.reconciliation = { ts: ev.ts, ok: ev.data.ok, mismatches: ev.data.mismatches ?? [] }
      break
    case 'venue_error':
      s.venueErrors = capped(s.venueErrors, { ts: ev.ts, code: String(ev.data.code), message: ev.data.message, endpoint: ev.data.endpoint }, CAP.venueErrors)
      break
  }
  return s
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** A Binance-style interval ("1m", "4h", "1d") in ms; 1m when it cannot be read. */
export function intervalMs(interval: string): number {
  const m = /^(\d+)([smhdw])$/.exec(interval ?? '')
  return m ? Number(m[1]) * (UNIT_MS[m[2] as string] ?? 60_000) : 60_000
}

/**
 * The engine's data clock for `symbol` (ISO): the later of its newest live bar's close and its
 * latest signal (signals are stamped at their bar's close). In a replay this is the bot's bar
 * time, far behind the wall clock and the end of the stored data, and it is the moment the
 * AI insights must be knowable at (GET /signals and /sentiment take it as `at`). Null before
 * any bar or signal of the symbol: the engine's own now applies. `bot`/`health` events carry
 * wall time and are not used.
 */
export function dataClock(state: LiveState, symbol: string): string | null {
  const bar = state.prices[symbol]?.closeTime
  const signal = state.signals[symbol] ? Date.parse(state.signals[symbol].ts) : NaN
  const t = Math.max(bar ?? -Infinity, Number.isFinite(signal) ? signal : -Infinity)
  return Number.isFinite(t) ? new Date(t).toISOString() : null
}

/** Error rate over the last `windowMs`: venue errors + degraded/down health reports per minute. */
export function errorsPerMinute(state: LiveState, now: number, windowMs = 300_000): number {
  const since = now - windowMs
  const count = state.venueErrors.filter((e) => Date.parse(e.ts) >= since).length
  return (count / windowMs) * 60_000
}
