// The signed-in session of one page (board, kiosk, app): its tokens in localStorage, refreshed a
// minute before they stop working (tokenRefresh, once per refresh token), and ended by logout.
import type { Client } from "@urql/core";
import { graphql } from "../gql";
import type { Role } from "../gql/graphql";
import { describe } from "./errors";

export const LoginDocument = graphql(`
  mutation Login($phone: String!, $password: String!) {
    login(phone: $phone, password: $password) {
      __typename
      ... on LoginSuccess {
        token
        expiresAt
        refreshToken
        viewer { id name roles community { id name } }
      }
      ... on DomainError { code message }
    }
  }
`);

export const RefreshDocument = graphql(`
  mutation TokenRefresh($refreshToken: String!) {
    tokenRefresh(refreshToken: $refreshToken) {
      __typename
      ... on LoginSuccess { token expiresAt refreshToken }
      ... on DomainError { code message }
    }
  }
`);

export const LogoutDocument = graphql(`
  mutation Logout { logout { __typename } }
`);

export interface Person {
  id: string;
  name: string;
  roles: Role[];
  community: { id: string; name: string } | null;
}

export interface Tokens {
  token: string;
  expiresAt: string;
  refreshToken: string;
  person: Person;
}

type Listener = (tokens: Tokens | null) => void;

const REFRESH_AHEAD_MS = 60_000;

export class Session {
  private tokens: Tokens | null;
  private listeners = new Set<Listener>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | null = null;
  client: Client | null = null; // set by makeClient: the session refreshes through it

  constructor(private readonly key: string) {
    this.tokens = read(key);
    this.schedule();
  }

  get current(): Tokens | null {
    return this.tokens;
  }

  get token(): string | null {
    return this.tokens?.token ?? null;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Signed in, or the server's reason in Chinese (InvalidCredentials, RATE_LIMITED …). */
  async signIn(phone: string, password: string): Promise<string | null> {
    const result = await this.client!.mutation(LoginDocument, { phone, password }, { requestPolicy: "network-only" }).toPromise();
    if (result.error) return describe(result.error);
    const login = result.data!.login;
    if (login.__typename !== "LoginSuccess") return "message" in login ? login.message : "登录失败";
    this.set({ token: login.token, expiresAt: login.expiresAt, refreshToken: login.refreshToken, person: login.viewer });
    return null;
  }

  async signOut(): Promise<void> {
    if (this.tokens) await this.client?.mutation(LogoutDocument, {}).toPromise();
    this.set(null);
  }

  /** The token, refreshed first if it stops working within a minute (one refresh at a time). */
  async fresh(): Promise<string | null> {
    if (this.tokens && Date.parse(this.tokens.expiresAt) - Date.now() < REFRESH_AHEAD_MS) await this.refresh();
    return this.token;
  }

  /** The server said the token no longer works (expired, revoked): refresh, or sign in again. */
  async rejected(): Promise<void> {
    await this.refresh();
  }

  private refresh(): Promise<void> {
    if (!this.tokens) return Promise.resolve();
    this.refreshing ??= (async () => {
      const refreshToken = this.tokens!.refreshToken;
      const result = await this.client!.mutation(RefreshDocument, { refreshToken }, { requestPolicy: "network-only" }).toPromise();
      const answer = result.data?.tokenRefresh;
      if (answer?.__typename === "LoginSuccess") {
        this.set({ ...this.tokens!, token: answer.token, expiresAt: answer.expiresAt, refreshToken: answer.refreshToken });
      } else if (answer || result.error?.graphQLErrors.length) {
        this.set(null); // the session ended (or the refresh token is spent): sign in again
      } // a network failure keeps the tokens: the next try may reach the server
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private set(tokens: Tokens | null): void {
    this.tokens = tokens;
    if (tokens) localStorage.setItem(this.key, JSON.stringify(tokens));
    else localStorage.removeItem(this.key);
    this.schedule();
    for (const listener of this.listeners) listener(tokens);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.tokens) return;
    const due = Date.parse(this.tokens.expiresAt) - Date.now() - REFRESH_AHEAD_MS;
    this.timer = setTimeout(() => void this.refresh(), Math.max(due, 1_000));
  }
}

function read(key: string): Tokens | null {
  try {
    const stored = JSON.parse(localStorage.getItem(key) ?? "null");
    return stored && typeof stored.token === "string" && typeof stored.refreshToken === "string" ? stored : null;
  } catch {
    return null;
  }
}
