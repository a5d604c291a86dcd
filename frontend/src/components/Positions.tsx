/** Open positions: side, size, entry, mark, unrealised P&L (money and %), stop and target. */
import type { PositionView } from '../api/normalise'
import { money, pct, price, qty, tone } from '../lib/format'

export function Positions({ positions }: { positions: PositionView[] }) {
  if (!positions.length) return <div className="empty" data-testid="positions-empty">No open positions</div>
  return (
    <table className="grid" data-testid="positions">
      <thead>
        <tr>
          <th>Bot</th>
          <th>Pair</th>
          <th>Side</th>
          <th className="num">Size</th>
          <th className="num">Entry</th>
          <th className="num">Mark</th>
          <th className="num">Unrealised</th>
          <th className="num">%</th>
          <th className="num">Stop</th>
          <th className="num">Target</th>
        </tr>
      </thead>
      <tbody>
        {positions.map((p) => {
          const ch = p.markPrice && p.entryPrice ? ((p.markPrice - p.entryPrice) / p.entryPrice) * (p.side.startsWith('S') ? -1 : 1) : null
          return (
            <tr key={p.key}>
              <td className="muted">{p.botId}</td>
              <td>{p.symbol}</td>
              <td className={p.side.startsWith('S') ? 'down' : 'up'}>{p.side}</td>
              <td className="num mono">{qty(p.quantity)}</td>
              <td className="num mono">{price(p.entryPrice)}</td>
              <td className="num mono">{price(p.markPrice)}</td>
              <td className={`num mono ${tone(p.unrealizedPnl)}`}>{money(p.unrealizedPnl, true)}</td>
              <td className={`num mono ${tone(ch)}`}>{pct(ch)}</td>
              <td className="num mono down">{price(p.stopPrice)}</td>
              <td className="num mono up">{price(p.takeProfit)}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
