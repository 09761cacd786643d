// Placeholder until this tab is built (#20, in progress on a helper branch).
import type { Session } from "../shared/session";

export function CasesTab(_: { session: Session }) {
  return <p class="muted">建设中</p>;
}
