// Three pages, each its own entry; Linli serves the HTML at /board, /kiosk and /app and the assets
// under /clients/ (server/clients.py). No CDN: everything is bundled from node_modules.
import preact from "@preact/preset-vite";
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/clients/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0, // no data: URLs for scripts or styles: the pages' CSP has no 'unsafe-inline'
    modulePreload: { polyfill: false }, // its inline script would need 'unsafe-inline'
    rollupOptions: {
      input: {
        board: resolve(import.meta.dirname, "board.html"),
        kiosk: resolve(import.meta.dirname, "kiosk.html"),
        app: resolve(import.meta.dirname, "app.html"),
      },
    },
  },
});
