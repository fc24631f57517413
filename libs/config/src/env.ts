/**
 * Reads typed values from an environment map, collecting every problem so that a bad deployment
 * fails at boot with one readable message instead of at the first request.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Record<string, string | undefined>) {}

  str(name: string, fallback?: string): string {
    const v = this.env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback === undefined) {
      this.problems.push(`${name} is required`);
      return '';
    }
    return fallback;
  }

  optional(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  }

  json<T>(name: string, fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    try {
      return JSON.parse(raw) as T;
    } catch {
      this.problems.push(`${name} must be JSON`);
      return fallback;
    }
  }

  /** A problem found by a reader's own check (inside a JSON value, or two settings that do not fit together). */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one error listing every problem found so far. */
  done(app: string): void {
    if (this.problems.length) {
      throw new Error(`Invalid ${app} configuration:\n  - ${this.problems.join('\n  - ')}`);
    }
  }
}
