// PostGraphile v5 (Amber preset) for bench/compare: one Node process, production settings.
//
//   GRAPHILE_ENV=production DATABASE_URL=postgresql://… PORT=8802 POOL_MAX=20 \
//     node --require ./with-resolvers.cjs server.mjs
//
// Exposes schemas `bench` (the nearbyFacilities search, bench_schema.sql) and `public` (the tables it
// returns and their relations). GraphiQL, explain, watch mode, websockets and subscriptions are off;
// no response caching (grafast still caches parsed documents and operation plans, as it always does).
import { createServer } from "node:http";

import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { postgraphile } from "postgraphile";

const connectionString = process.env.DATABASE_URL;
const port = Number(process.env.PORT ?? 8802);
const poolMax = Number(process.env.POOL_MAX ?? 20);
if (!connectionString) {
  console.error("DATABASE_URL is required");
  process.exit(2);
}
if (process.env.GRAPHILE_ENV !== "production") {
  console.error("run with GRAPHILE_ENV=production");
  process.exit(2);
}

// Names without a schema prefix (`nearbyFacilities`, `Facility`, not `publicFacility`): v5 prefixes
// every schema but the first; the two exposed schemas share no names.
/** @type {GraphileConfig.Plugin} */
const NoSchemaPrefixPlugin = {
  name: "NoSchemaPrefixPlugin",
  version: "0.0.0",
  inflection: { replace: { _schemaPrefix: () => "" } },
};

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [NoSchemaPrefixPlugin],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["bench", "public"],
      poolConfig: { max: poolMax },
      pubsub: false,
    }),
  ],
  grafserv: {
    port,
    host: "127.0.0.1",
    graphqlPath: "/graphql",
    graphiql: false,
    graphqlOverGET: false,
    watch: false,
    websockets: false,
    maxRequestLength: 64 * 1024, // Linli's LINLI_MAX_BODY_BYTES
  },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 65_000;
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server, false);
// Build the schema before listening, so "port open" means "ready".
await pgl.getSchemaResult();
server.listen(port, "127.0.0.1", () => console.log(`postgraphile listening on ${port}`));

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  server.close();
  server.closeAllConnections?.();
  await pgl.release();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
