/**
 * Engine events as they reach the browser over ActionCable (Rails relays the Redis stream
 * `tradingbot:events` unchanged): {id, type, bot_id, symbol, ts, data}. Hand-written from the
 * session contract (these are Redis stream entries, not part of the engine's OpenAPI schema).
 * Prices, quantities and money are decimal strings; `parseEvent` checks the envelope only and
 * never throws on unknown types (the reducer ignores what it does not know).
 */

export type Decimal = string

export interface BarData { interval: string; open_time: number; open: Decimal; high: Decimal; low: Decimal; close: Decimal; volume: Decimal }
export interface SignalData { action: 'BUY' | 'SELL' | 'HOLD'; strategy: string; score: number | null; reasons: string[]; components?: Record<string, unknown> }
export interface RiskData { approved: boolean; check: string; reasons: string[]; state?: Record<string, unknown> }
export interface OrderData { client_order_id: string; side: string; type: string; status: string; quantity: Decimal; price: Decimal | null; stop_price: Decimal | null; purpose: string; reason: string }
export interface FillData { client_order_id: string; trade_id: string; side: string; price: Decimal; quantity: Decimal; fee: Decimal; fee_asset: string; is_maker: boolean }
export interface PositionData { side: string; quantity: Decimal; entry_price: Decimal; mark_price: Decimal; unrealized_pnl: Decimal; stop_price: Decimal | null; take_profit: Decimal | null }
export interface EquityData { equity: Decimal; realized_pnl: Decimal; unrealized_pnl: Decimal; drawdown_pct: Decimal }
export type BotState = 'running' | 'paused' | 'stopped' | 'halted'
export interface BotData { state: BotState; mode: string; reason: string }
export interface HealthData { component: string; status: 'ok' | 'degraded' | 'down'; detail: string; error_rate?: number | string; stale_s?: number | string }
export interface ReconciliationData { ok: boolean; mismatches: string[] }
export interface VenueErrorData { code: string | number; message: string; endpoint: string }
export interface BookData { bids: [Decimal, Decimal][]; asks: [Decimal, Decimal][] }

export interface EventDataByType {
  bar: BarData
  signal: SignalData
  risk: RiskData
  order: OrderData
  fill: FillData
  position: PositionData
  equity: EquityData
  bot: BotData
  health: HealthData
  reconciliation: ReconciliationData
  venue_error: VenueErrorData
  book: BookData
}
export type EventType = keyof EventDataByType

export interface EngineEvent<T extends EventType = EventType> {
  id: string
  type: T
  bot_id: string
  symbol: string
  ts: string
  data: EventDataByType[T]
}

export type AnyEvent = { [K in EventType]: EngineEvent<K> }[EventType]

const KNOWN = new Set<string>(['bar', 'signal', 'risk', 'order', 'fill', 'position', 'equity', 'bot', 'health', 'reconciliation', 'venue_error', 'book'])

/** Validate the envelope of a relayed message; null when it is not an engine event we know. */
export function parseEvent(msg: unknown): AnyEvent | null {
  if (typeof msg !== 'object' || msg === null) return null
  const m = msg as Record<string, unknown>
  let data = m.data
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data)
    } catch {
      return null
    }
  }
  if (typeof m.type !== 'string' || !KNOWN.has(m.type) || typeof data !== 'object' || data === null) return null
  return {
    id: String(m.id ?? ''),
    type: m.type,
    bot_id: String(m.bot_id ?? ''),
    symbol: String(m.symbol ?? ''),
    ts: String(m.ts ?? ''),
    data,
  } as AnyEvent
}
