import { ROLES } from '../../../contract/vocabulary.ts'
import { ProblemError, type Me } from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { t } from '../shared/i18n.ts'
import {
  assignStation,
  createUser,
  listStations,
  listUsers,
  resetPassword,
  updateUser,
  type User,
} from './api.ts'
import { field, select, status, table, textInput } from './form.ts'
import type { Section } from './admin.ts'

const problem = (err: unknown) =>
  err instanceof ProblemError ? err.detail || err.title : String(err)

/** The station ids of codes, as the admin types them (exact codes, in their region). */
async function idsOf(codes: string[]): Promise<number[]> {
  const ids: number[] = []
  for (const code of codes) {
    const page = await listStations({ q: code })
    const found = page.stations.find((s) => s.code === code.toUpperCase())
    if (!found) throw new Error(`${code}?`)
    ids.push(found.id)
  }
  return ids
}

/** Accounts of the admin's region: create, disable or enable, reset a password, assign stations. */
export class Accounts implements Section {
  readonly element = el('section', 'admin-section admin-accounts')
  private readonly note = status()
  private readonly list = el('div', 'admin-list')
  private readonly search = textInput('q', '', 'search')
  private users: User[] = []

  constructor(private readonly me: Me) {
    let timer: ReturnType<typeof setTimeout> | undefined
    this.search.addEventListener('input', () => {
      clearTimeout(timer)
      timer = setTimeout(() => void this.load(), 300)
    })
  }

  open(): void {
    this.render()
    void this.load()
  }

  private async load(): Promise<void> {
    try {
      this.users = (await listUsers({ q: this.search.value.trim() })).users
      this.renderList()
    } catch (err) {
      this.note.textContent = t().admin.failed + problem(err)
    }
  }

  private render(): void {
    this.search.placeholder = t().admin.username
    this.search.setAttribute('aria-label', t().admin.username)
    this.element.replaceChildren(
      this.createForm(),
      this.note,
      el('div', 'admin-toolbar', this.search),
      this.list,
    )
    this.renderList()
  }

  private createForm(): HTMLElement {
    const a = t().admin
    const form = el('form', 'admin-form')
    const username = textInput('username')
    username.required = true
    username.autocapitalize = 'none'
    const role = select(
      'role',
      ROLES.map((r): [string, string] => [r, t().roles[r]]),
      'manager',
    )
    const city = textInput('city', this.me.region.city ?? '')
    city.readOnly = this.me.region.city !== undefined
    const district = textInput('district', this.me.region.district ?? '')
    district.readOnly = this.me.region.district !== undefined
    const password = textInput('password', '', 'password')
    password.autocomplete = 'new-password'
    const stations = textInput('stations')
    const submit = el('button', 'primary-button', a.create)
    submit.type = 'submit'
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      void (async () => {
        this.note.textContent = a.saving
        try {
          const codes = stations.value.split(/[\s,，、]+/).filter(Boolean)
          const region = {
            ...this.me.region,
            ...(city.value.trim() ? { city: city.value.trim() } : {}),
            ...(district.value.trim() ? { district: district.value.trim() } : {}),
          }
          const made = await createUser({
            username: username.value.trim(),
            role: role.value as User['role'],
            region,
            ...(password.value ? { password: password.value } : {}),
            ...(codes.length ? { station_ids: await idsOf(codes) } : {}),
          })
          this.note.textContent = made.password
            ? a.oneTimePassword(made.username, made.password)
            : a.saved
          form.reset()
          // the new account, found among the many others
          this.search.value = made.username
          await this.load()
        } catch (err) {
          this.note.textContent = a.failed + problem(err)
        }
      })()
    })
    form.append(
      el('h3', '', a.newAccount),
      el('div', 'admin-row', field(a.username, username), field(a.role, role)),
      el('div', 'admin-row', field(a.regionCity, city), field(a.regionDistrict, district)),
      field(a.passwordOptional, password),
      field(a.stationIds, stations),
      el('div', 'admin-actions', submit),
    )
    return form
  }

  private renderList(): void {
    const a = t().admin
    const region = (u: User) =>
      [u.region.province, u.region.city, u.region.district].filter(Boolean).join(' ') || a.regionAll
    const act = (label: string, run: () => Promise<unknown>) =>
      button('link-button', label, () => {
        void (async () => {
          try {
            const answer = (await run()) as { password?: string } | undefined
            this.note.textContent = answer?.password ?? a.saved
            await this.load()
          } catch (err) {
            this.note.textContent = a.failed + problem(err)
          }
        })()
      })
    const rows = this.users.map((u) => [
      u.username,
      t().roles[u.role],
      region(u),
      u.station_ids.join(', '),
      u.disabled ? a.disabled : '',
      el(
        'span',
        'admin-row-actions',
        u.id === this.me.id
          ? ''
          : act(u.disabled ? a.enable : a.disable, () =>
              updateUser(u.id, { disabled: !u.disabled }),
            ),
        u.id === this.me.id ? '' : act(a.resetPassword, () => resetPassword(u.id)),
        u.role === 'manager'
          ? act(a.assign, async () => {
              const code = prompt(a.assignPrompt)
              if (code) await assignStation(u.id, (await idsOf([code.trim()]))[0]!, true)
            })
          : '',
      ),
    ])
    this.list.replaceChildren(
      rows.length
        ? table([a.username, a.role, a.region, a.tabs.stations, a.state, ''], rows)
        : el('p', 'muted', a.none),
    )
  }
}
