/**
 * The whole stack for the browser suite, started by the project's launcher:
 *   tradingbot stack up --json <var/e2e/stack.json> --speed <E2E_SPEED, default 120>
 *   tradingbot stack down
 * with TRADINGBOT_VAR_DIR=var/e2e/var (isolated from a developer's `make demo`).
 * The launcher generates its own engine token and records it as `engine_api_token`: that is the
 * secret the suite looks for. E2E_STACK_JSON=<file> reuses a stack that is already up instead
 * (E2E_ENGINE_TOKEN overrides the token to look for). The launcher's JSON is read tolerantly: URLs are looked up by key
 * name anywhere in it (dashboard/rails/redis).
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../../..')
export const OUT = resolve(ROOT, 'var/e2e')

function deepFind(obj, test, path = []) {
  if (obj && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj)) {
      const p = [...path, k]
      if (test(p, v)) return v
      const found = deepFind(v, test, p)
      if (found !== undefined) return found
    }
  }
  return undefined
}

const isUrl = (v, scheme) => typeof v === 'string' && v.startsWith(scheme)

export function readStack(file) {
  const raw = JSON.parse(readFileSync(file, 'utf8'))
  const named = (re, scheme) => deepFind(raw, (p, v) => isUrl(v, scheme) && re.test(p.join('.')))
  const dashboard = named(/dashboard/i, 'http') ?? named(/rails/i, 'http')
  const rails = named(/rails/i, 'http') ?? dashboard
  const redis = named(/redis/i, 'redis://')
  if (!dashboard || !redis) throw new Error(`stack JSON ${file} has no dashboard/rails URL or no redis URL: ${JSON.stringify(raw).slice(0, 500)}`)
  const cred = (role, field, fallback) =>
    deepFind(raw, (p, v) => typeof v === 'string' && new RegExp(role, 'i').test(p.join('.')) && new RegExp(`${field}$`, 'i').test(p[p.length - 1])) ?? fallback
  return {
    raw,
    dashboard: dashboard.replace(/\/$/, ''),
    rails: rails.replace(/\/$/, ''),
    redis,
    operator: { email: cred('operator', 'email', process.env.DEMO_OPERATOR_EMAIL ?? 'operator@example.com'), password: cred('operator', 'password', process.env.DEMO_OPERATOR_PASSWORD ?? 'operator-demo') },
    viewer: { email: cred('viewer', 'email', process.env.DEMO_VIEWER_EMAIL ?? 'viewer@example.com'), password: cred('viewer', 'password', process.env.DEMO_VIEWER_PASSWORD ?? 'viewer-demo') },
  }
}

function tradingbot(args, env) {
  const bin = resolve(ROOT, '.venv/bin/tradingbot')
  if (!existsSync(bin)) throw new Error(`${bin} missing: run make setup`)
  const r = spawnSync(bin, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 })
  return r
}

export function stackUp() {
  mkdirSync(OUT, { recursive: true })
  if (process.env.E2E_STACK_JSON) {
    const st = readStack(process.env.E2E_STACK_JSON)
    return { ...st, token: process.env.E2E_ENGINE_TOKEN ?? st.raw.engine_api_token ?? null, down: () => {}, startMs: 0, launcher: `E2E_STACK_JSON=${process.env.E2E_STACK_JSON}` }
  }
  const token = `e2e-${randomBytes(18).toString('hex')}`
  const env = { TRADINGBOT_VAR_DIR: resolve(OUT, 'var'), TRADINGBOT_API_TOKEN: token }
  const json = resolve(OUT, 'stack.json')
  const t0 = Date.now()
  const args = ['stack', 'up', '--json', json, '--speed', process.env.E2E_SPEED ?? '120']
  tradingbot(['stack', 'down'], env) // a stack left by an interrupted run (no-op otherwise)
  const up = tradingbot(args, env)
  if (up.error || up.status !== 0) {
    const help = tradingbot(['stack', '--help'], env)
    throw new Error(
      `\`tradingbot ${args.join(' ')}\` failed (exit ${up.status}${up.error ? `, ${up.error.message}` : ''}):\n${up.stdout}\n${up.stderr}` +
        (help.status !== 0 ? '\n(the stack launcher is not available yet: `tradingbot stack --help` fails)' : ''),
    )
  }
  const stack = readStack(json)
  return {
    ...stack,
    // the launcher makes its own engine token and records it (engine_api_token); ours is the fallback
    token: stack.raw.engine_api_token ?? token,
    launcher: 'tradingbot stack',
    startMs: Date.now() - t0,
    down: () => {
      const r = tradingbot(['stack', 'down'], env)
      if (r.status !== 0) console.error(`stack down failed: ${r.stdout}\n${r.stderr}`)
    },
  }
}
