/** Display formatting: fixed precision by magnitude, signed money, percentages, UTC times. */

export function price(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  const a = Math.abs(v)
  const digits = a >= 1000 ? 2 : a >= 1 ? 4 : 6
  return v.toLocaleString('en-US', { minimumFractionDigits: digits > 2 ? 2 : digits, maximumFractionDigits: digits })
}

export function money(v: number | null | undefined, signed = false): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  const s = Math.abs(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
  const sign = v < 0 ? '-' : signed && v > 0 ? '+' : ''
  return `${sign}$${s}`
}

export function pct(v: number | null | undefined, signed = true, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return `${signed && v > 0 ? '+' : ''}${(v * 100).toFixed(digits)}%`
}

export function qty(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return v.toLocaleString('en-US', { maximumFractionDigits: 6 })
}

export function ratio(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—'
  if (v === Infinity) return '∞'
  return v.toFixed(digits)
}

export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
}

export const tone = (v: number | null | undefined): string => (v === null || v === undefined || v === 0 ? '' : v > 0 ? 'up' : 'down')
