// One urql client per page: queries and mutations over HTTP with the session's bearer token,
// subscriptions over graphql-ws (graphql-transport-ws) on the same origin, reconnecting for ever
// with the token as it is at each connect. `connection` tells the page the live state.
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";
import type { Session } from "./session";

export type ConnectionState = "connecting" | "connected" | "closed";

export function makeClient(session: Session, onConnection?: (state: ConnectionState) => void): Client {
  const origin = window.location;
  const ws = createWsClient({
    url: `${origin.protocol === "https:" ? "wss" : "ws"}://${origin.host}/graphql`,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    // Back off 1, 2, 4 … up to 10 s with jitter: a board must come back on its own.
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1_000 * 2 ** retries) * (0.5 + Math.random() / 2))),
    connectionParams: async () => {
      const token = await session.fresh();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
    on: {
      connecting: () => onConnection?.("connecting"),
      connected: () => onConnection?.("connected"),
      closed: (event) => {
        onConnection?.("closed");
        // 4403: the token was revoked or expired while the socket was open: refresh before retrying.
        if ((event as CloseEvent | undefined)?.code === 4403) void session.rejected();
      },
    },
  });
  const client = new Client({
    url: "/graphql",
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? "" }, sink) }),
        }),
      }),
    ],
    requestPolicy: "cache-and-network",
    preferGetMethod: false,
    fetchOptions: () => {
      const token = session.token;
      return token ? { headers: { authorization: `Bearer ${token}` } } : {};
    },
  });
  session.client = client;
  return client;
}
