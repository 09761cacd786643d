// What people read when something fails: the server's own Chinese message for an expected failure
// (a DomainError's `message`), and for top-level errors a sentence per `extensions.code`.
import type { CombinedError } from "@urql/core";

const TOP_LEVEL: Record<string, string> = {
  UNAUTHENTICATED: "登录已失效，请重新登录。",
  FORBIDDEN: "您的账号没有这项权限。",
  NOT_FOUND: "没有找到，或您无权查看。",
  BAD_REQUEST: "请求有误，请检查填写的内容。",
  RATE_LIMITED: "操作太频繁，请稍后再试。",
  SERVICE_UNAVAILABLE: "服务暂时不可用，正在重试。",
  QUERY_TOO_COSTLY: "一次请求的内容太多，请缩小范围。",
  QUERY_TOO_DEEP: "请求层级太深。",
  TOO_MANY_ALIASES: "请求中的别名太多。",
  TOO_MANY_TOKENS: "请求太长。",
  REQUEST_TOO_LARGE: "提交的内容太大，请换一张较小的照片。",
  METHOD_NOT_ALLOWED: "这项操作不能这样提交。",
  INTERNAL_SERVER_ERROR: "服务器出错了，请稍后再试。",
};

export function codeMessage(code: string | undefined, fallback?: string): string {
  return (code && TOP_LEVEL[code]) || fallback || `出错了（${code ?? "未知错误"}）`;
}

/** One line for a failed request: offline, or the first error's code as a sentence. */
export function describe(error: CombinedError): string {
  if (error.networkError && !error.graphQLErrors.length) return "无法连接服务器，请检查网络。";
  const first = error.graphQLErrors[0];
  const code = first?.extensions?.code as string | undefined;
  const requestId = first?.extensions?.requestId as string | undefined;
  const message = codeMessage(code);
  return requestId ? `${message}（请求编号 ${requestId}）` : message;
}

/** True when the server no longer takes the token (expired or revoked). */
export function isUnauthenticated(error: CombinedError | undefined): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED");
}
