/**
 * Token bucket arithmetic, pure: the tenant service applies it to the bucket row it holds locked
 * (rate_buckets), with the database's clock. A bucket holds at most `burst` tokens and refills at
 * `rate` tokens per second; a lease takes whole tokens only, so the tokens handed out up to time
 * t never exceed burst + rate·t, however many replicas ask.
 */
export interface BucketLimits {
  /** tokens per second, > 0 */
  rate: number;
  /** capacity, >= 1 */
  burst: number;
}

export interface BucketState {
  tokens: number;
  /** when `tokens` was true, in ms */
  at: number;
}

export interface Lease {
  state: BucketState;
  granted: number;
  /** 0 when tokens were granted; else the ms until the bucket holds a whole token */
  retryAfterMs: number;
}

// Refill is a float sum: a bucket that should hold exactly n tokens may read n − 1e-12.
// Granting on n − EPSILON keeps such a bucket from answering "wait 0 ms" forever.
const EPSILON = 1e-9;

/** A new bucket starts full. */
export const fullBucket = (limits: BucketLimits, now: number): BucketState => ({ tokens: limits.burst, at: now });

/** The bucket at `now`; a clock that went back refills nothing (and never un-spends a token). */
export function refill(state: BucketState, limits: BucketLimits, now: number): BucketState {
  if (now <= state.at) return { tokens: Math.min(state.tokens, limits.burst), at: state.at };
  return { tokens: Math.min(limits.burst, state.tokens + ((now - state.at) / 1000) * limits.rate), at: now };
}

/** Takes up to `want` whole tokens at `now`. */
export function takeLease(state: BucketState, limits: BucketLimits, want: number, now: number): Lease {
  const current = refill(state, limits, now);
  const whole = Math.floor(current.tokens + EPSILON);
  const granted = Math.max(0, Math.min(Math.floor(want), whole));
  const tokens = Math.max(0, current.tokens - granted);
  return { state: { tokens, at: current.at }, granted, retryAfterMs: granted > 0 ? 0 : msUntilWhole(tokens, limits) };
}

/** Ms until a bucket holding `tokens` (< 1) holds one whole token: rounded up, so waiting that long is enough. */
export function msUntilWhole(tokens: number, limits: BucketLimits): number {
  // no epsilon here (the grant has one): the wait then covers any rounding of the refill
  const missing = 1 - tokens;
  return missing <= 0 ? 0 : Math.max(1, Math.ceil((missing / limits.rate) * 1000));
}
