/** The environment `{env:NAME}` key templates read: a snapshot taken at start-up or reload. */
export function templateEnvironment(): Readonly<Record<string, string | undefined>> {
  return Object.freeze({ ...process.env });
}
