import { render } from "preact";
import "../shared/base.css";
import { makeClient } from "../shared/client";
import { Session } from "../shared/session";
import { applyDisplay, SignIn, useSession } from "../shared/ui";

const session = new Session("linli.app");
makeClient(session);
applyDisplay();

function Page() {
  const tokens = useSession(session);
  if (!tokens) return <SignIn session={session} title="登录" />;
  return <main><h1>{tokens.person.name}</h1></main>;
}

render(<Page />, document.getElementById("root")!);
