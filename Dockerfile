FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build:web && mkdir -p data && chown node:node data
ENV NODE_ENV=production
# Not root: the app needs nothing but its port and (embedded mode) its data folder.
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# node itself is the process that gets SIGTERM, so a stopping container drains (see index.ts)
CMD ["node", "--import", "tsx", "server/src/index.ts"]
