/**
 * The web app's pages, in header order. The server answers each with the one HTML page (the
 * view is chosen in the browser); any other path outside the API is 404.
 */
export const PAGES = [
  { name: 'courier', path: '/' },
  { name: 'manager', path: '/manager' },
  { name: 'planner', path: '/planner' },
  { name: 'admin', path: '/admin' },
] as const
