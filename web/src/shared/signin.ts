import { login, logout, ProblemError, type Me } from './api.ts'
import { el } from './dom.ts'
import { t } from './i18n.ts'

/** The sign-in form of the manager and planner views; each view gives its own heading. */
export class SignInForm {
  readonly element = el('form', 'signin')
  private error: string | null = null
  private busy = false

  constructor(
    private readonly signedIn: (me: Me) => void,
    private readonly words: () => { title: string; intro: string },
  ) {
    this.element.addEventListener('submit', (e) => {
      e.preventDefault()
      const data = new FormData(this.element)
      void this.submit(
        String(data.get('username') ?? '').trim(),
        String(data.get('password') ?? ''),
      )
    })
  }

  /** Shown with a message above the fields (an expired session, say), or none. */
  show(notice: string | null = null): void {
    this.error = notice
    this.render()
  }

  render(): void {
    const username = input('signin-username', 'username', 'text', 'username')
    username.autocapitalize = 'none'
    const password = input('signin-password', 'password', 'password', 'current-password')
    const submit = el('button', 'primary-button', this.busy ? t().signingIn : t().signIn)
    submit.type = 'submit'
    submit.disabled = this.busy
    const { title, intro } = this.words()
    this.element.replaceChildren(
      el('h2', '', title),
      el('p', 'muted', intro),
      label(username, t().username),
      username,
      label(password, t().password),
      password,
      submit,
    )
    if (this.error) {
      const error = el('p', 'notice notice-error', this.error)
      error.setAttribute('role', 'alert')
      this.element.append(error)
    }
    // each view puts the form on the page just after rendering it: focus it once it is there
    queueMicrotask(() => {
      if (username.isConnected) username.focus()
    })
  }

  private async submit(username: string, password: string): Promise<void> {
    this.busy = true
    this.error = null
    this.render()
    try {
      const me = await login(username, password)
      this.busy = false
      this.signedIn(me)
    } catch (err) {
      this.busy = false
      this.error =
        err instanceof ProblemError && err.status === 401
          ? t().signInFailed
          : err instanceof ProblemError && err.status === 429
            ? t().signInTooMany
            : t().serverUnreachable
      this.render()
    }
  }
}

function input(id: string, name: string, type: string, autocomplete: AutoFill): HTMLInputElement {
  const node = el('input', '')
  node.id = id
  node.name = name
  node.type = type
  node.autocomplete = autocomplete
  node.required = true
  return node
}

function label(target: HTMLInputElement, text: string): HTMLLabelElement {
  const node = el('label', 'field-label', text)
  node.htmlFor = target.id
  return node
}

/** Ends the session. The view goes back to its sign-in form even when the request fails. */
export async function endSession(): Promise<void> {
  try {
    await logout()
  } catch (err) {
    console.warn(`sign-out failed: ${String(err)}`)
  }
}
