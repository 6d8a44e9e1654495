import type { Availability } from '../../server/src/stations/vocabulary.ts'

export type Lang = 'zh' | 'en'

const zh = {
  appName: '驿站 Yizhan',
  tagline: '湖南户外劳动者服务驿站',
  switchLang: 'EN',
  switchLangLabel: 'Switch to English',
  mapLabel: '驿站地图',
  legendTitle: '空位状态',
  availability: {
    open: '有空位',
    full: '已满',
    closed: '非开放时间',
    temporarily_closed: '暂停服务',
    unknown: '状态未知',
  } satisfies Record<Availability, string>,
  stale: '久未更新',
  stationCount: (n: number) => `共 ${n.toLocaleString('zh-CN')} 个驿站`,
  freeSeats: (free: number, capacity: number) => `${free} 个空位 · 共 ${capacity} 座`,
  seats: (capacity: number) => `共 ${capacity} 座`,
  address: '地址',
  openingHours: '开放时间',
  openNow: '营业中',
  closedNow: '休息中',
  reported: '更新',
  neverReported: '暂无上报',
  loading: '正在加载详情…',
  detailsFailed: '详情暂时无法加载',
}

type Messages = typeof zh

const en: Messages = {
  appName: '驿站 Yizhan',
  tagline: 'Rest stations for outdoor workers in Hunan',
  switchLang: '中文',
  switchLangLabel: '切换到中文',
  mapLabel: 'Map of rest stations',
  legendTitle: 'Availability',
  availability: {
    open: 'Seats free',
    full: 'Full',
    closed: 'Closed now',
    temporarily_closed: 'Temporarily closed',
    unknown: 'Unknown',
  },
  stale: 'No recent report',
  stationCount: (n) => `${n.toLocaleString('en')} stations`,
  freeSeats: (free, capacity) => `${free} free · ${capacity} seats in all`,
  seats: (capacity) => `${capacity} seats`,
  address: 'Address',
  openingHours: 'Hours',
  openNow: 'open now',
  closedNow: 'closed now',
  reported: 'Updated',
  neverReported: 'No report yet',
  loading: 'Loading details…',
  detailsFailed: 'Details are unavailable right now',
}

const messages: Record<Lang, Messages> = { zh, en }
const STORAGE_KEY = 'yizhan.lang'

function storedLang(): Lang | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY)
    return value === 'zh' || value === 'en' ? value : null
  } catch {
    // storage can be blocked (private mode, sandboxed frames): fall back to the browser language
    return null
  }
}

function browserLang(): Lang {
  const preferred = navigator.languages.length > 0 ? navigator.languages : [navigator.language]
  return preferred[0]?.toLowerCase().startsWith('zh') ? 'zh' : 'en'
}

let current: Lang = storedLang() ?? browserLang()
const listeners = new Set<() => void>()

export function lang(): Lang {
  return current
}

export function t(): Messages {
  return messages[current]
}

export function setLang(next: Lang): void {
  if (next === current) return
  current = next
  try {
    localStorage.setItem(STORAGE_KEY, next)
  } catch {
    // not remembered across visits, but the switch still applies now
  }
  applyDocumentLang()
  for (const listener of listeners) listener()
}

/** Calls `render` now and again after every language switch. */
export function onLangChange(render: () => void): void {
  listeners.add(render)
  render()
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
]

/** "5 minutes ago" / "5分钟前", for report times. */
export function timeAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000)
  const format = new Intl.RelativeTimeFormat(current === 'zh' ? 'zh-CN' : 'en', { numeric: 'auto' })
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit)
  }
  return format.format(0, 'minute')
}

export function applyDocumentLang(): void {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en'
  document.title = `${t().appName} · ${t().tagline}`
}
