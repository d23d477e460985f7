/** The `error` code of a JSON error body (API.md), `unknown` if it has none, `not_json` if it is not JSON. */
export function errorCode(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : 'unknown';
  } catch {
    return 'not_json';
  }
}
