import argon2 from 'argon2';

/** argon2id with the library's defaults (64 MiB, 3 passes): slow enough to make a stolen table costly. */
export const hashPassword = (password: string): Promise<string> => argon2.hash(password, { type: argon2.argon2id });

let decoy: Promise<string> | undefined;

/**
 * Whether `password` matches `hash`. Without a hash (an unknown or disabled user) the password is
 * checked against a decoy, so the answer takes as long and does not tell which usernames exist.
 */
export async function passwordMatches(hash: string | undefined, password: string): Promise<boolean> {
  if (hash === undefined) {
    await argon2.verify(await (decoy ??= hashPassword('not-a-password-anyone-has')), password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}
