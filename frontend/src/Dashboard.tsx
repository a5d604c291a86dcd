/**
 * The dashboard page: wires data (REST polls through Rails + live ActionCable events) to panels.
 * Rules: live events win over the last poll for the same thing (positions, bot state, signal,
 * prices); every poll keeps its last good value on error and shows the error; the main chart is
 * driven directly by the feed (not React state) for speed.
 */
import { useEffect, useMemo, useReducer, useState } from 'react'
import { Engine, Rails, Session, latency, type User } from './api/client'
import { LiveFeed, type ChannelSpec, type StreamStatus } from './api/cable'
import * as N from './api/normalise'
import type { AnyEvent } from './api/events'
import { applyEvent, dataClock, errorsPerMinute, initialLive, type LiveState } from './lib/live'
import { INTERVALS, type Interval } from './lib/bars'
import { equityFromTrades, type EquityPoint } from './lib/stats'
import { usePoll } from './lib/usePoll'
import { tb } from './hooks'
import { Header, type Light } from './components/Header'
import { Panel, ErrorLine } from './components/Panel'
import { PairsList, type PairRow } from './components/PairsList'
import { MainChart } from './components/MainChart'
import { OrderBook } from './components/OrderBook'
import { Positions } from './components/Positions'
import { TradeHistory } from './components/TradeHistory'
import { Performance } from './components/Performance'
import { AiInsights, fromApi, fromEvent } from './components/AiInsights'
import { SystemHealth } from './components/SystemHealth'
import { Controls } from './components/Controls'
import { Backtests } from './components/Backtests'
import { money, pct } from './lib/format'
import type { TradeMark } from './lib/chartData'
import { DEFAULT_INTERVAL, DEFAULT_PAIRS, DEFAULT_SYMBOL } from './config'


export function Dashboard({ user, onLogout }: { user: User; onLogout: () => void }) {
  const feed = useMemo(() => new LiveFeed(), [])
  const [live, dispatch] = useReducer((s: LiveState, ev: AnyEvent) => applyEvent(s, ev), undefined, initialLive)
  const [streams, setStreams] = useState<Record<string, StreamStatus>>({})
  const [symbol, setSymbol] = useState<string>(DEFAULT_SYMBOL)
  const [interval, setInterval_] = useState<Interval>(DEFAULT_INTERVAL)
  const [show, setShow] = useState({ ema: true, bb: true, vwap: false })
  const [botId, setBotId] = useState('')

  useEffect(() => {
    const off1 = feed.onEvent((ev) => {
      tb.events++
      dispatch(ev)
    })
    const off2 = feed.onStatus(setStreams)
    return () => {
      off1()
      off2()
      feed.close()
    }
  }, [feed])

  const bots = usePoll(() => Engine.bots().then(N.bots), 5000)
  const botList = bots.data ?? []
  useEffect(() => {
    if (!botId && botList[0]) setBotId(botList[0].id)
  }, [botId, botList])

  const pairs = useMemo(() => {
    const set = new Set<string>(DEFAULT_PAIRS)
    for (const b of botList) for (const s of b.symbols) set.add(s.replace('/', '').toUpperCase())
    return [...set]
  }, [botList])

  useEffect(() => {
    const specs: ChannelSpec[] = [{ channel: 'AccountChannel' }, { channel: 'SystemChannel' }, ...pairs.map((s) => ({ channel: 'MarketChannel' as const, symbol: s }))]
    if (botId) specs.push({ channel: 'BotChannel', bot_id: botId })
    feed.sync(specs)
  }, [feed, pairs, botId])

  // 24h change on the data's own clock: the 25 hourly bars up to the newest live bar of the pair
  // (a replay's clock is not the wall clock); refetched every minute and when that hour changes.
  const liveHour = (s: string): string | undefined => {
    const t = live.prices[s]?.time
    return t === undefined ? undefined : new Date(Math.floor(t / 3_600_000) * 3_600_000 + 3_600_000).toISOString()
  }
  const pairStats = usePoll(
    () =>
      Promise.all(
        pairs.map((s) =>
          Engine.candles(s, '1h', 25, liveHour(s)).then(
            (r) => ({ symbol: s, first: r.candles[0]?.open ?? null, last: r.candles[r.candles.length - 1]?.close ?? null }),
            () => ({ symbol: s, first: null, last: null }),
          ),
        ),
      ),
    60_000,
    [pairs.join(','), pairs.map(liveHour).join(',')],
  )
  const pairRows: PairRow[] = pairs.map((s) => {
    const st = pairStats.data?.find((p) => p.symbol === s)
    const p = live.prices[s]?.price ?? st?.last ?? null
    return { symbol: s, price: p, change24h: p !== null && st?.first ? p / st.first - 1 : null }
  })

  // Positions: the poll is the record; a live position event received after the last poll wins
  // (fresher), an older one is dropped (the poll already knows, e.g. flattened by an emergency stop).
  const positionsPoll = usePoll(() => Engine.positions().then(N.positions), 3000, [live.fills.length])
  const positions = useMemo(() => {
    const byKey = new Map((positionsPoll.data ?? []).map((p) => [p.key, p]))
    for (const [key, p] of Object.entries(live.positions)) if (p.at > (positionsPoll.at ?? 0)) byKey.set(key, { key, ...p })
    for (const key of live.flat) if ((live.flatAt[key] ?? 0) > (positionsPoll.at ?? 0)) byKey.delete(key)
    return [...byKey.values()]
  }, [positionsPoll.data, positionsPoll.at, live.positions, live.flat, live.flatAt])

  const tradesPoll = usePoll(() => Engine.trades(botId || undefined).then(N.trades), 10_000, [live.fills.length, botId])
  const trades = tradesPoll.data ?? []
  const account = usePoll(() => Promise.all([Engine.account(botId || undefined).catch(() => null), Engine.pnl(botId || undefined).catch(() => null)]), 5000, [botId])
  const acct = N.account(account.data?.[0], account.data?.[1], botId)
  const polledCurve = N.equityCurve(account.data?.[1])

  const health = usePoll(async () => {
    const t0 = performance.now()
    const h = await Rails.health()
    return { h, ms: performance.now() - t0 }
  }, 5000)

  // Insights as knowable at the data clock (a replay's bar time), not at the end of the stored
  // data: the poll reads the clock when it runs (every 30 s; refetched once the first bar arrives).
  const clock = dataClock(live, symbol)
  const signalPoll = usePoll(() => Engine.signal(symbol, interval, clock ?? undefined), 30_000, [symbol, interval, clock === null])
  const liveSignal = live.signals[symbol]
  const polledSignal = signalPoll.data ? fromApi(signalPoll.data) : null
  const signal = liveSignal ? fromEvent(liveSignal, polledSignal) : polledSignal
  const base = symbol.replace(/(USDT|USDC|BUSD|USD)$/, '')
  const sentimentPoll = usePoll(() => Engine.sentiment(base, clock ?? undefined).then(N.sentiment), 60_000, [base, clock === null])

  const botState = live.bots[botId]?.state ?? botList.find((b) => b.id === botId)?.state ?? 'unknown'
  const botReason = live.bots[botId]?.reason ?? botList.find((b) => b.id === botId)?.reason ?? ''
  tb.halted = botState === 'halted'

  const equity = live.equity?.equity ?? acct.equity
  const curve: EquityPoint[] = live.equityCurve.length > 1 ? [...polledCurve.filter((p) => p.time < (live.equityCurve[0]?.time ?? 0)), ...live.equityCurve] : polledCurve.length > 1 ? polledCurve : equityFromTrades(trades, acct.equity !== null ? acct.equity - trades.reduce((a, t) => a + t.pnl, 0) : 10_000)
  // 24h on the equity curve's own clock (a replay's clock is not the wall clock)
  const lastTime = curve[curve.length - 1]?.time ?? 0
  const ref24 = [...curve].reverse().find((p) => p.time <= lastTime - 86_400_000) ?? curve[0]
  const pnl24h = ref24 && equity !== null ? equity - ref24.equity : acct.pnl24h
  const pnl24hPct = pnl24h !== null && equity !== null && equity - pnl24h !== 0 ? pnl24h / (equity - pnl24h) : null

  const streamValues = Object.values(streams)
  const stale = live.lastEventAt !== null && Date.now() - live.lastEventAt > 120_000
  const anyDown = Object.values(live.health).some((c) => c.status === 'down')
  const light: Light =
    botState === 'halted' || health.error || streamValues.some((s) => s === 'rejected') || anyDown
      ? 'red'
      : streamValues.some((s) => s !== 'connected') || stale || botState === 'paused' || Object.values(live.health).some((c) => c.status === 'degraded')
        ? 'yellow'
        : streamValues.length
          ? 'green'
          : 'grey'

  const marks: TradeMark[] = useMemo(() => {
    const m: TradeMark[] = []
    for (const t of trades) {
      if (t.symbol !== symbol) continue
      const long = !/^S/.test(t.side)
      m.push({ time: t.entryTime, side: long ? 'BUY' : 'SELL', price: t.entryPrice, label: long ? 'B' : 'S' })
      m.push({ time: t.exitTime, side: long ? 'SELL' : 'BUY', price: t.exitPrice, label: 'X' })
    }
    for (const f of live.fills) if (f.symbol === symbol) m.push({ time: Date.parse(f.ts), side: f.side, price: f.price, label: f.side.slice(0, 1) })
    return m
  }, [trades, live.fills, symbol])

  const levels = useMemo(
    () =>
      positions
        .filter((p) => p.symbol === symbol)
        .flatMap((p) => [
          ...(p.stopPrice ? [{ price: p.stopPrice, title: 'SL', color: '#ef5350' }] : []),
          ...(p.takeProfit ? [{ price: p.takeProfit, title: 'TP', color: '#26a69a' }] : []),
          { price: p.entryPrice, title: 'Entry', color: '#2196f3' },
        ]),
    [positions, symbol],
  )

  const unrealized = positions.reduce((a, p) => a + (p.unrealizedPnl ?? 0), 0)
  // equity events carry drawdown_pct in percent; /account's drawdown is a fraction
  const riskLine = live.equity ? `drawdown ${pct(-live.equity.drawdownPct / 100, false)}` : acct.drawdown !== null ? `drawdown ${pct(-acct.drawdown, false)}` : '—'
  const lastRisk = live.risk.find((r) => !r.approved)

  const logout = async () => {
    await Session.logout().catch(() => undefined)
    feed.close()
    onLogout()
  }

  return (
    <div className="app">
      <Header user={user} balance={equity} pnl24h={pnl24h} pnl24hPct={pnl24hPct} light={light} lightTitle={`bot ${botState}; streams ${streamValues.join(', ') || 'off'}`} botState={botState} onLogout={logout} />
      {botState === 'halted' && (
        <div className="banner danger" data-testid="halted-banner">
          HALTED{botReason ? `: ${botReason}` : ''} — trading is stopped until an operator starts the bot again.
        </div>
      )}
      <main className="layout">
        <Panel title="Pairs" className="a-pairs">
          <PairsList pairs={pairRows} selected={symbol} onSelect={setSymbol} />
        </Panel>
        <Panel
          title="Chart"
          className="a-chart"
          right={
            <div className="toolbar">
              {INTERVALS.map((i) => (
                <button key={i} className={`tab ${i === interval ? 'active' : ''}`} onClick={() => setInterval_(i)} data-interval={i}>
                  {i}
                </button>
              ))}
              <label><input type="checkbox" checked={show.ema} onChange={(e) => setShow({ ...show, ema: e.target.checked })} /> EMA</label>
              <label><input type="checkbox" checked={show.bb} onChange={(e) => setShow({ ...show, bb: e.target.checked })} /> BB</label>
              <label><input type="checkbox" checked={show.vwap} onChange={(e) => setShow({ ...show, vwap: e.target.checked })} /> VWAP</label>
            </div>
          }
        >
          <MainChart symbol={symbol} interval={interval} feed={feed} marks={marks} levels={levels} show={show} />
        </Panel>
        <Panel title="Order book" className="a-book" right={<span className="muted">{symbol}</span>}>
          <OrderBook book={live.books[symbol]} />
        </Panel>
        <Panel title={`Open positions (${positions.length})`} className="a-positions" right={<span>Unrealised P&amp;L <b className={unrealized >= 0 ? 'up' : 'down'}>{money(unrealized, true)}</b></span>}>
          <ErrorLine error={positionsPoll.error} />
          <Positions positions={positions} />
        </Panel>
        <Panel title="Controls" className="a-controls" testId="controls-panel">
          <ErrorLine error={bots.error} />
          <Controls user={user} bots={botList} botId={botId} onSelect={setBotId} states={Object.fromEntries(Object.entries(live.bots).map(([k, v]) => [k, v.state]))} onDone={bots.reload} />
          {lastRisk && <div className="muted small">last refusal: {lastRisk.check} — {lastRisk.reasons.join('; ')}</div>}
        </Panel>
        <Panel title="Trade history" className="a-history">
          <ErrorLine error={tradesPoll.error} />
          <TradeHistory trades={trades} />
        </Panel>
        <Panel title="Performance" className="a-perf">
          <Performance curve={curve} trades={trades} />
        </Panel>
        <Panel title="AI insights" className="a-ai">
          <AiInsights signal={signal} sentiment={sentimentPoll.data} risk={riskLine} error={signalPoll.error} />
        </Panel>
        <Panel title="System health" className="a-health" right={<span className={`light light-${light}`} />}>
          <SystemHealth
            apiLatencyMs={health.data?.ms ?? latency.lastMs}
            engineLatencyMs={N.num((health.data?.h.engine as Record<string, unknown> | undefined)?.latency_ms, health.data?.h.engine_latency_ms)}
            rails={health.data?.h ?? null}
            railsError={health.error}
            streams={streams}
            lastEventAt={live.lastEventAt}
            lastDataTs={live.lastDataTs}
            events={live.eventCount}
            errorRate={errorsPerMinute(live, Date.now())}
            components={live.health}
            venueErrors={live.venueErrors}
          />
        </Panel>
        <Panel title="Backtests" className="a-backtests">
          <Backtests user={user} symbol={symbol} />
        </Panel>
      </main>
    </div>
  )
}
