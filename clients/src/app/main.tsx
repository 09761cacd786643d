// The resident page (/app), mobile-first: what is near, booking a desk, my children, reporting a
// problem and the notices inbox, one tab each. Nothing on it is time-limited (适老化).
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Provider } from "@urql/preact";
import "../shared/base.css";
import "./app.css";
import { makeClient } from "../shared/client";
import { Session } from "../shared/session";
import { applyDisplay, DisplayOptions, SignIn, useSession } from "../shared/ui";
import { NearbyTab } from "./nearby";
import { BookingsTab } from "./bookings";
import { ChildrenTab } from "./children";
import { CasesTab } from "./cases";
import { NoticesTab } from "./notices";

const session = new Session("linli.app");
const client = makeClient(session);
applyDisplay();

const TABS = [
  { id: "nearby", label: "身边", View: NearbyTab },
  { id: "bookings", label: "预约", View: BookingsTab },
  { id: "children", label: "托育", View: ChildrenTab },
  { id: "cases", label: "有事一键找", View: CasesTab },
  { id: "notices", label: "通知", View: NoticesTab },
] as const;
type TabId = (typeof TABS)[number]["id"];

function currentTab(): TabId {
  const id = window.location.hash.slice(1);
  return (TABS.find((tab) => tab.id === id)?.id ?? "nearby") as TabId;
}

function App() {
  const tokens = useSession(session);
  const [tab, setTab] = useState<TabId>(currentTab);
  useEffect(() => {
    const follow = () => setTab(currentTab());
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  if (!tokens) {
    return (
      <main class="app">
        <div class="top"><DisplayOptions /></div>
        <SignIn session={session} title="邻里 · 登录" hint="用社区登记的手机号和密码登录。" />
      </main>
    );
  }
  const { View } = TABS.find((entry) => entry.id === tab)!;
  return (
    <Provider value={client}>
      <main class="app">
        <header class="top">
          <span class="who">{tokens.person.name}{tokens.person.community ? ` · ${tokens.person.community.name}` : ""}</span>
          <DisplayOptions />
          <button type="button" class="secondary" onClick={() => void session.signOut()}>退出</button>
        </header>
        <section class="tab-body" aria-live="polite">
          <View session={session} />
        </section>
        <nav class="tabs" aria-label="功能">
          {TABS.map((entry) => (
            <a key={entry.id} href={`#${entry.id}`} aria-current={entry.id === tab ? "page" : undefined}>
              {entry.label}
            </a>
          ))}
        </nav>
      </main>
    </Provider>
  );
}

render(<App />, document.getElementById("root")!);
