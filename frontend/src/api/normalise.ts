/**
 * Tolerant readers for engine responses that are not (yet) in the generated OpenAPI types
 * (bots, positions, trades, account, pnl, sentiment: added by other work this session).
 * Rules: accept a bare array or an object wrapping it ({items|bots|positions|trades|orders: [...]});
 * accept the field spellings the engine uses in its tables and events (qty/quantity, pnl_net/pnl,
 * avg_entry/entry_price, ...); decimal strings become numbers; a row missing what the panel needs
 * is dropped, never thrown on, so one odd row cannot blank the dashboard.
 */
import type { ClosedTrade } from '../lib/stats'

export type Row = Record<string, unknown>

export function rows(body: unknown, ...keys: string[]): Row[] {
  if (Array.isArray(body)) return body.filter((r): r is Row => typeof r === 'object' && r !== null)
  if (body && typeof body === 'object') {
    const b = body as Row
    for (const k of [...keys, 'items', 'data', 'results']) if (Array.isArray(b[k])) return rows(b[k])
  }
  return []
}

export function num(...values: unknown[]): number | null {
  for (const v of values) {
    if (v === null || v === undefined || v === '') continue
    const n = typeof v === 'number' ? v : Number(v)
    if (Number.isFinite(n)) return n
  }
  return null
}

export function str(...values: unknown[]): string {
  for (const v of values) if (typeof v === 'string' && v !== '') return v
  for (const v of values) if (typeof v === 'number') return String(v)
  return ''
}

/** Epoch ms from an ISO string, epoch seconds or epoch ms. */
export function ms(value: unknown): number | null {
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value
  if (typeof value === 'string' && value) {
    const asNum = Number(value)
    if (Number.isFinite(asNum)) return ms(asNum)
    const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`)
    return Number.isFinite(t) ? t : null
  }
  return null
}

export function toTrade(r: Row, i = 0): ClosedTrade | null {
  const entryTime = ms(r.entry_time ?? r.opened_at ?? r.open_time)
  const exitTime = ms(r.exit_time ?? r.closed_at ?? r.close_time)
  const pnl = num(r.pnl_net, r.pnl, r.net_pnl, r.realized_pnl, r.realised_pnl)
  if (entryTime === null || exitTime === null || pnl === null) return null
  return {
    id: str(r.id, r.seq, r.trade_id) || String(i),
    symbol: str(r.symbol, r.instrument),
    side: str(r.side).toUpperCase(),
    entryTime,
    exitTime,
    entryPrice: num(r.entry_price, r.avg_entry) ?? 0,
    exitPrice: num(r.exit_price) ?? 0,
    quantity: num(r.quantity, r.qty) ?? 0,
    pnl,
    fee: num(r.fees, r.fee) ?? (num(r.entry_fee) ?? 0) + (num(r.exit_fee) ?? 0),
    reason: str(r.exit_reason, r.reason),
  }
}

export function trades(body: unknown): ClosedTrade[] {
  return rows(body, 'trades')
    .map(toTrade)
    .filter((t): t is ClosedTrade => t !== null)
}

export interface PositionView {
  key: string
  botId: string
  symbol: string
  side: string
  quantity: number
  entryPrice: number
  markPrice: number | null
  unrealizedPnl: number | null
  stopPrice: number | null
  takeProfit: number | null
}

export function toPosition(r: Row): PositionView | null {
  const quantity = num(r.quantity, r.qty)
  const symbol = str(r.symbol, r.instrument)
  if (quantity === null || !symbol) return null
  const botId = str(r.bot_id)
  return {
    key: `${botId}|${symbol}`,
    botId,
    symbol,
    side: str(r.side).toUpperCase() || 'LONG',
    quantity,
    entryPrice: num(r.entry_price, r.avg_entry) ?? 0,
    markPrice: num(r.mark_price, r.price),
    unrealizedPnl: num(r.unrealized_pnl, r.unrealised_pnl, r.unrealised),
    stopPrice: num(r.stop_price, r.stop),
    takeProfit: num(r.take_profit, r.target),
  }
}

export function positions(body: unknown): PositionView[] {
  return rows(body, 'positions')
    .map(toPosition)
    .filter((p): p is PositionView => p !== null && p.quantity !== 0)
}

export interface BotView {
  id: string
  name: string
  state: string
  mode: string
  reason: string
  symbols: string[]
  strategy: string
  heartbeat: string
}

export function bots(body: unknown): BotView[] {
  return rows(body, 'bots').map((r) => ({
    id: str(r.id, r.bot_id),
    name: str(r.name, r.id),
    // the trader's live report (Redis) may lead the database record
    state: str((r.live as Row | null | undefined)?.state, r.state, (r.status as Row | undefined)?.state) || 'unknown',
    mode: str(r.mode),
    reason: str(r.state_reason, r.reason),
    symbols: Array.isArray(r.symbols) ? r.symbols.map(String) : typeof r.symbols === 'string' ? safeList(r.symbols) : [],
    strategy: str(r.strategy),
    heartbeat: str(r.heartbeat_at, r.heartbeat_ts),
  }))
}

function safeList(s: string): string[] {
  try {
    const v: unknown = JSON.parse(s)
    return Array.isArray(v) ? v.map(String) : [s]
  } catch {
    return s.split(',').map((x) => x.trim()).filter(Boolean)
  }
}

export interface AccountView {
  equity: number | null
  cash: number | null
  realizedPnl: number | null
  unrealizedPnl: number | null
  pnl24h: number | null
  drawdown: number | null
}

/**
 * GET /account ({accounts: [{bot_id, equity, cash, unrealised, drawdown}]}, one snapshot per bot)
 * + GET /pnl. With `botId` only that bot's snapshot counts, else equity and cash are summed.
 */
export function account(acct: unknown, pnl: unknown, botId = ''): AccountView {
  const snaps = rows(acct, 'accounts').filter((r) => !botId || str(r.bot_id) === botId)
  const single = (acct && typeof acct === 'object' && !Array.isArray(acct) && !('accounts' in acct) ? acct : null) as Row | null
  const all = single ? [single] : snaps
  const sum = (f: (r: Row) => number | null): number | null => (all.length ? all.reduce<number | null>((acc, r) => (f(r) === null ? acc : (acc ?? 0) + f(r)!), null) : null)
  const p = (pnl && typeof pnl === 'object' ? pnl : {}) as Row
  const daily = rows(p, 'daily')
  const today = new Date().toISOString().slice(0, 10)
  const todayRow = daily.find((d) => str(d.date) === today)
  return {
    equity: sum((r) => num(r.equity, r.balance, r.total_equity)) ?? num(p.equity),
    cash: sum((r) => num(r.cash, r.free, r.available)),
    realizedPnl: num(p.realised_net, p.realized_pnl, p.realised_pnl),
    unrealizedPnl: num(p.unrealised, p.unrealized_pnl, p.unrealised_pnl) ?? sum((r) => num(r.unrealised, r.unrealized_pnl)),
    pnl24h: num(p.pnl_24h) ?? (todayRow ? num(todayRow.pnl) : null),
    drawdown: all.length ? Math.max(...all.map((r) => num(r.drawdown) ?? 0)) : num(p.drawdown),
  }
}

export interface EquityPointRaw {
  time: number
  equity: number
}

/** Equity curve from /pnl when it carries one ({equity_curve|curve: [{ts|time, equity}]}). */
export function equityCurve(pnl: unknown): EquityPointRaw[] {
  return rows(pnl, 'equity_curve', 'curve', 'equity')
    .map((r) => ({ time: ms(r.ts ?? r.time) ?? Number.NaN, equity: num(r.equity, r.value) ?? Number.NaN }))
    .filter((p) => Number.isFinite(p.time) && Number.isFinite(p.equity))
}

export interface SentimentView {
  score: number | null
  label: string
  reason: string
  sources: number | null
  updated: string
  headlines: string[]
}

export function sentiment(body: unknown): SentimentView | null {
  if (!body || typeof body !== 'object') return null
  const b = body as Row
  const items = rows(b, 'articles', 'items', 'headlines', 'news')
  return {
    score: num(b.score, b.sentiment, b.value),
    label: str(b.label, b.classification),
    reason: str(b.reason),
    sources: num(b.count, b.n, b.sources),
    updated: str(b.as_of, b.updated_at, b.ts),
    headlines: items.map((r) => str(r.title, r.headline)).filter(Boolean).slice(0, 5),
  }
}
