/** Pairs with live prices: the close of the newest bar per symbol, change vs 24h ago. */
import { price, pct, tone } from '../lib/format'

export interface PairRow {
  symbol: string
  price: number | null
  change24h: number | null
}

export function PairsList({ pairs, selected, onSelect }: { pairs: PairRow[]; selected: string; onSelect: (s: string) => void }) {
  return (
    <table className="grid pairs" data-testid="pairs">
      <thead>
        <tr>
          <th>Pair</th>
          <th className="num">Price</th>
          <th className="num">24h</th>
        </tr>
      </thead>
      <tbody>
        {pairs.map((p) => (
          <tr key={p.symbol} className={p.symbol === selected ? 'selected' : ''} onClick={() => onSelect(p.symbol)} data-symbol={p.symbol}>
            <td>{p.symbol.replace(/(USDT|USDC|BUSD|USD)$/, '/$1')}</td>
            <td className="num mono" data-testid={`price-${p.symbol}`}>{price(p.price)}</td>
            <td className={`num mono ${tone(p.change24h)}`}>{pct(p.change24h)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
