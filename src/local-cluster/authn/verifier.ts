/** What the test API server's webhook token authenticator asks of each token format it accepts. */

/** The Kubernetes user a token authenticates as, as a TokenReview status carries it. */
export interface AuthenticatedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** A verifier's verdict on a token of its format: the user, or why it is refused. */
export type VerifyResult = { ok: true; user: AuthenticatedUser } | { ok: false; reason: string };

/** Returns undefined when the token is not of this verifier's format, so the next one can try. */
export interface TokenVerifier {
  readonly name: string;
  verify(token: string, now: Date): Promise<VerifyResult | undefined>;
}

/** A refusal with `reason` (returned to the API server as the TokenReview error). */
export function refuse(reason: string): VerifyResult {
  return { ok: false, reason };
}
