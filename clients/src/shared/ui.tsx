// What every page shares: signing in, the 适老化 display options (large type, high contrast, kept
// on this device), the live connection's state, and a message line for errors.
import { useEffect, useState } from "preact/hooks";
import type { ConnectionState } from "./client";
import type { Session, Tokens } from "./session";

export function useSession(session: Session): Tokens | null {
  const [tokens, setTokens] = useState(session.current);
  useEffect(() => session.subscribe(setTokens), [session]);
  return tokens;
}

export function SignIn({ session, title, hint }: { session: Session; title: string; hint?: string }) {
  const [phone, setPhone] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(await session.signIn(phone, password));
    setBusy(false);
  };
  return (
    <form class="sign-in" onSubmit={submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{title}</h1>
      {hint && <p class="hint">{hint}</p>}
      <label>
        手机号
        <input name="phone" type="tel" inputMode="tel" autoComplete="username" required value={phone}
          onInput={(e) => setPhone(e.currentTarget.value)} />
      </label>
      <label>
        密码
        <input name="password" type="password" autoComplete="current-password" required value={password}
          onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{busy ? "正在登录…" : "登录"}</button>
    </form>
  );
}

const DISPLAY_KEY = "linli.display";
type Display = { large: boolean; contrast: boolean };

function readDisplay(): Display {
  try {
    return { large: false, contrast: false, ...JSON.parse(localStorage.getItem(DISPLAY_KEY) ?? "{}") };
  } catch {
    return { large: false, contrast: false };
  }
}

export function applyDisplay(display: Display = readDisplay()): void {
  document.documentElement.classList.toggle("large-type", display.large);
  document.documentElement.classList.toggle("high-contrast", display.contrast);
}

/** 大字 and 高对比 switches: no time limit, kept on this device. */
export function DisplayOptions() {
  const [display, setDisplay] = useState(readDisplay);
  const change = (next: Display) => {
    localStorage.setItem(DISPLAY_KEY, JSON.stringify(next));
    applyDisplay(next);
    setDisplay(next);
  };
  return (
    <div class="display-options" role="group" aria-label="显示设置">
      <button type="button" aria-pressed={display.large} onClick={() => change({ ...display, large: !display.large })}>
        大字
      </button>
      <button type="button" aria-pressed={display.contrast} onClick={() => change({ ...display, contrast: !display.contrast })}>
        高对比
      </button>
    </div>
  );
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: "正在连接…",
  connected: "实时连接正常",
  closed: "连接已断开，正在重连",
};

export function ConnectionBadge({ state }: { state: ConnectionState }) {
  return (
    <span class={`connection ${state}`} role="status" data-state={state}>
      {CONNECTION_TEXT[state]}
    </span>
  );
}

export function ErrorLine({ message }: { message: string | null | undefined }) {
  return message ? <p class="error" role="alert">{message}</p> : null;
}

const SHANGHAI = "Asia/Shanghai";

/** A moment as people in Wuchang read it: 12月3日 21:05. */
export function shanghai(at: string, withDate = true): string {
  return new Intl.DateTimeFormat("zh-CN", {
    timeZone: SHANGHAI,
    ...(withDate ? { month: "numeric", day: "numeric" } : {}),
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(new Date(at));
}

/** Today's calendar date in Asia/Shanghai, as the API's Date (YYYY-MM-DD). */
export function shanghaiToday(offsetDays = 0): string {
  const at = new Date(Date.now() + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: SHANGHAI }).format(at);
}
