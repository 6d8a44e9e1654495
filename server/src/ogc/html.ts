import type { Link } from './schema.ts'

/** The OGC API's pages for people: plain HTML with the same content and links as the JSON. */
export const escape = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )

export const a = (href: string, text: unknown) => `<a href="${escape(href)}">${escape(text)}</a>`

/** An href for people: the same resource as HTML. */
export const asHtml = (href: string) => {
  const url = new URL(href)
  url.searchParams.set('f', 'html')
  return url.href
}

export function table(head: string[], rows: unknown[][], raw = false) {
  const cell = (v: unknown) => (raw ? String(v ?? '') : escape(v))
  return (
    // a wide table scrolls on a phone: its region takes focus, so keyboards can scroll it too
    `<div class="scroll" tabindex="0" role="region" aria-label="表格"><table><thead><tr>${head.map((h) => `<th scope="col">${escape(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`
  )
}

export function linkList(links: Link[]) {
  return `<ul>${links
    .map(
      (l) =>
        `<li>${a(l.href, l.title ?? l.href)} <small>(${escape(l.rel)}${l.type ? `, ${escape(l.type)}` : ''})</small></li>`,
    )
    .join('')}</ul>`
}

export const paragraph = (text: string) => `<p>${escape(text)}</p>`

export function page(title: string, body: string, crumbs: [string, string][] = []) {
  const nav = crumbs.length
    ? `<nav aria-label="位置"><ol>${crumbs.map(([href, text]) => `<li>${a(href, text)}</li>`).join('')}</ol></nav>`
    : ''
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · 驿站 OGC API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:1rem auto;max-width:72rem;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;font-size:13px}.scroll{overflow-x:auto}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;white-space:nowrap}
th{background:#f0f0f0}nav ol{list-style:none;padding:0;display:flex;gap:.5rem}
nav li+li::before{content:"/ ";color:#666}a{color:#0b57d0}small{color:#555}
</style></head>
<body>${nav}<main><h1>${escape(title)}</h1>${body}</main></body></html>`
}
