import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { compression, defineAlgorithm } from 'vite-plugin-compression2'
import { VitePWA } from 'vite-plugin-pwa'
import { PAGES } from '../contract/pages.ts'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [
    // Installable, and opens offline: the service worker keeps the app's files (precached at
    // install) and the last station tiles and meta seen; the courier's own offline copy of the
    // stations is kept by the app (web/src/courier/offline.ts), not here.
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      // the icons are among the built files the service worker keeps anyway
      includeManifestIcons: false,
      manifest: {
        name: '驿站 Yizhan · 户外劳动者服务驿站',
        short_name: '驿站',
        description:
          '找最近的户外劳动者服务驿站 · Find the nearest rest station for outdoor workers',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f6f7f9',
        theme_color: '#1b6b57',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          {
            src: '/icon-maskable-512.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable',
          },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,mjs,css,html,svg,png}'],
        // the first visit is already served by it, so it works offline from then on
        clientsClaim: true,
        skipWaiting: true,
        // the map library and its worker are a large part of the app, needed offline too
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
        navigateFallback: '/index.html',
        // the app's pages are plain paths ('/', '/manager', …): any other stays a 404
        navigateFallbackAllowlist: PAGES.map(
          (p) => new RegExp(`^${p.path.replace(/\/$/, '')}/?(\\?.*)?$`),
        ),
        runtimeCaching: [
          {
            urlPattern: ({ url }) => /^\/api\/v1\/(meta|outline)$/.test(url.pathname),
            handler: 'StaleWhileRevalidate',
            options: { cacheName: 'yizhan-meta' },
          },
          {
            // dots of the stations as last seen; live states arrive over the socket
            urlPattern: ({ url }) => url.pathname.startsWith('/api/v1/tiles/'),
            handler: 'NetworkFirst',
            options: {
              cacheName: 'yizhan-tiles',
              networkTimeoutSeconds: 4,
              expiration: { maxEntries: 500, maxAgeSeconds: 7 * 24 * 3600 },
            },
          },
        ],
      },
    }),
    // The server sends these as they are (brotli, else gzip): no compressing on each request.
    compression({
      algorithms: [defineAlgorithm('brotliCompress'), defineAlgorithm('gzip', { level: 9 })],
      threshold: 1024,
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // maplibre-gl alone is about 1 MB minified; there is nothing to gain by splitting it
    chunkSizeWarningLimit: 1400,
  },
  // `vite --config web/vite.config.ts` for live reload against a server on port 3000
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/socket.io': { target: 'http://localhost:3000', ws: true },
    },
  },
})
