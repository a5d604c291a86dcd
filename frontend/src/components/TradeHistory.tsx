/** Closed trades: sortable columns, filters (pair, side, outcome, text), win rate and profit factor of the filtered set. */
import { useMemo, useState } from 'react'
import { filterTrades, sortTrades, tradeStats, type ClosedTrade, type SortKey, type TradeFilter } from '../lib/stats'
import { money, pct, price, qty, ratio, time, tone } from '../lib/format'

const COLS: [SortKey, string][] = [
  ['exitTime', 'Time'],
  ['symbol', 'Pair'],
  ['side', 'Side'],
  ['entryPrice', 'Entry'],
  ['exitPrice', 'Exit'],
  ['quantity', 'Qty'],
  ['pnl', 'P&L'],
]


export function TradeHistory({ trades }: { trades: ClosedTrade[] }) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'exitTime', desc: true })
  const [filter, setFilter] = useState<TradeFilter>({ symbol: '', side: '', outcome: '', text: '' })
  const symbols = useMemo(() => [...new Set(trades.map((t) => t.symbol))].sort(), [trades])
  const shown = useMemo(() => sortTrades(filterTrades(trades, filter), sort.key, sort.desc), [trades, filter, sort])
  const st = tradeStats(shown)
  const click = (key: SortKey) => setSort((s) => ({ key, desc: s.key === key ? !s.desc : true }))
  return (
    <div data-testid="trade-history">
      <div className="toolbar">
        <select value={filter.symbol} onChange={(e) => setFilter({ ...filter, symbol: e.target.value })} aria-label="pair filter">
          <option value="">All pairs</option>
          {symbols.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <select value={filter.side} onChange={(e) => setFilter({ ...filter, side: e.target.value })} aria-label="side filter">
          <option value="">Both sides</option>
          <option value="long">Long</option>
          <option value="short">Short</option>
        </select>
        <select value={filter.outcome} onChange={(e) => setFilter({ ...filter, outcome: e.target.value as TradeFilter['outcome'] })} aria-label="outcome filter">
          <option value="">Wins &amp; losses</option>
          <option value="win">Wins</option>
          <option value="loss">Losses</option>
        </select>
        <input placeholder="Search reason…" value={filter.text} onChange={(e) => setFilter({ ...filter, text: e.target.value })} />
        <span className="spacer" />
        <span className="kv">Trades <b data-testid="trade-count">{st.count}</b></span>
        <span className="kv">Win rate <b data-testid="win-rate">{pct(st.winRate, false, 1)}</b></span>
        <span className="kv">Profit factor <b data-testid="profit-factor">{ratio(st.profitFactor)}</b></span>
        <span className="kv">Net <b className={tone(st.netPnl)}>{money(st.netPnl, true)}</b></span>
      </div>
      <div className="scroll">
        <table className="grid">
          <thead>
            <tr>
              {COLS.map(([k, label]) => (
                <th key={k} className={`sortable ${k === 'symbol' || k === 'side' || k === 'exitTime' ? '' : 'num'}`} onClick={() => click(k)}>
                  {label}
                  {sort.key === k ? (sort.desc ? ' ▼' : ' ▲') : ''}
                </th>
              ))}
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {shown.slice(0, 500).map((t) => (
              <tr key={`${t.id}-${t.exitTime}`} data-testid="trade-row">
                <td className="mono">{time(t.exitTime)}</td>
                <td>{t.symbol}</td>
                <td className={/^(S|SELL)/.test(t.side) ? 'down' : 'up'}>{t.side}</td>
                <td className="num mono">{price(t.entryPrice)}</td>
                <td className="num mono">{price(t.exitPrice)}</td>
                <td className="num mono">{qty(t.quantity)}</td>
                <td className={`num mono ${tone(t.pnl)}`}>{money(t.pnl, true)}</td>
                <td className="muted">{t.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!shown.length && <div className="empty">No closed trades yet</div>}
      </div>
    </div>
  )
}
