/**
 * Where an auth profile's tokens may be sent: the origins it names (`origins`). A profile naming none may be
 * sent anywhere in development mode (the demo and the tests define profiles without them) and nowhere
 * outside it, so a definition cannot carry a stored profile's token to a host of its own choosing.
 */
export function profileAllows(origins: readonly string[] | undefined, url: string, development: boolean): boolean {
  if (origins === undefined) return development;
  const origin = originOf(url);
  return origin !== undefined && origins.some((o) => originOf(o) === origin);
}

/** Why a profile may not be sent to `url`, for an operator to read. */
export function profileRefusal(name: string, origins: readonly string[] | undefined, url: string): string {
  const origin = originOf(url) ?? url;
  return origins === undefined
    ? `auth profile "${name}" names no origins: outside development mode its tokens go nowhere until it does`
    : `auth profile "${name}" may not be sent to ${origin}: it is not among the profile's origins`;
}

function originOf(url: string): string | undefined {
  return URL.canParse(url) ? new URL(url).origin : undefined;
}
