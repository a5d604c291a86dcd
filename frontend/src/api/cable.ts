/**
 * ActionCable wiring: one consumer on `${RAILS_BASE}/cable` (the session cookie authenticates it),
 * channels per the dashboard contract: MarketChannel {symbol}, AccountChannel, BotChannel {bot_id},
 * SystemChannel. Every message is an engine event {id, type, bot_id, symbol, ts, data}; it is
 * validated with parseEvent and handed to every listener. Connection state is reported so the
 * health panel can show the stream status.
 */
import { createConsumer, type Consumer, type Subscription } from '@rails/actioncable'
import { RAILS_BASE } from './client'
import { parseEvent, type AnyEvent } from './events'

export type StreamStatus = 'connecting' | 'connected' | 'disconnected' | 'rejected'

export interface ChannelSpec {
  channel: 'MarketChannel' | 'AccountChannel' | 'BotChannel' | 'SystemChannel'
  symbol?: string
  bot_id?: string
}

function cableUrl(): string {
  if (RAILS_BASE) return `${RAILS_BASE.replace(/^http/, 'ws')}/cable`
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/cable`
}

export const specKey = (s: ChannelSpec): string => `${s.channel}:${s.symbol ?? ''}:${s.bot_id ?? ''}`

export class LiveFeed {
  private consumer: Consumer | null = null
  private subs = new Map<string, Subscription>()
  private status = new Map<string, StreamStatus>()
  private listeners = new Set<(ev: AnyEvent) => void>()
  private statusListeners = new Set<(s: Record<string, StreamStatus>) => void>()

  onEvent(fn: (ev: AnyEvent) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  onStatus(fn: (s: Record<string, StreamStatus>) => void): () => void {
    this.statusListeners.add(fn)
    return () => this.statusListeners.delete(fn)
  }

  /** Subscribe to exactly `specs` (unsubscribing what is no longer wanted). */
  sync(specs: ChannelSpec[]): void {
    this.consumer ??= createConsumer(cableUrl())
    const want = new Map(specs.map((s) => [specKey(s), s]))
    for (const [key, sub] of this.subs) {
      if (!want.has(key)) {
        sub.unsubscribe()
        this.subs.delete(key)
        this.status.delete(key)
      }
    }
    for (const [key, spec] of want) {
      if (this.subs.has(key)) continue
      this.setStatus(key, 'connecting')
      const sub = this.consumer.subscriptions.create(
        { ...spec },
        {
          connected: () => this.setStatus(key, 'connected'),
          disconnected: () => this.setStatus(key, 'disconnected'),
          rejected: () => this.setStatus(key, 'rejected'),
          received: (msg: unknown) => {
            const ev = parseEvent(msg)
            if (ev) for (const fn of this.listeners) fn(ev)
          },
        },
      )
      this.subs.set(key, sub)
    }
  }

  close(): void {
    this.consumer?.disconnect()
    this.consumer = null
    this.subs.clear()
    this.status.clear()
    this.emitStatus()
  }

  private setStatus(key: string, s: StreamStatus): void {
    this.status.set(key, s)
    this.emitStatus()
  }

  private emitStatus(): void {
    const snapshot = Object.fromEntries(this.status)
    for (const fn of this.statusListeners) fn(snapshot)
  }
}
