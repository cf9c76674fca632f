import type { ConfigProblem } from './config-error.ts';
import type { EnvReading } from './env-reader.ts';
import { ASYMMETRIC_ALGORITHMS } from './env.schema.ts';

/**
 * Rules between variables, which one variable's schema cannot state. They look at which
 * variables were *set* rather than at their values where they can, so a variable whose own
 * value is already reported as bad is not reported a second time as missing.
 */
export function crossFieldProblems({ values, set, problems }: EnvReading): ConfigProblem[] {
  const found: ConfigProblem[] = [];
  const bad = new Set(problems.map((problem) => problem.variable));
  const external = set.has('AUTH_JWT_ISSUER') || set.has('AUTH_JWT_SECRET') || set.has('AUTH_JWKS_URL');
  if (external) {
    if (!set.has('AUTH_JWT_ISSUER')) {
      found.push({ variable: 'AUTH_JWT_ISSUER', problem: 'is required when external tokens are configured' });
    } else if (values.AUTH_JWT_ISSUER === values.JWT_ISSUER) {
      // Tokens are routed to a verifier by issuer: with Parley's own, external tokens would never be accepted.
      found.push({ variable: 'AUTH_JWT_ISSUER', problem: 'must differ from JWT_ISSUER (Parley\'s own token issuer)' });
    }
    if (!set.has('AUTH_JWT_AUDIENCE')) found.push({ variable: 'AUTH_JWT_AUDIENCE', problem: 'is required when external tokens are configured' });
    const withSecret = set.has('AUTH_JWT_SECRET');
    if (withSecret === set.has('AUTH_JWKS_URL')) {
      found.push({ variable: 'AUTH_JWT_SECRET', problem: 'or AUTH_JWKS_URL (exactly one) is required for external tokens' });
    } else if (set.has('AUTH_JWT_ALGORITHMS') && !bad.has('AUTH_JWT_ALGORITHMS')) {
      // A JWKS key accepted for HS256 would let anyone holding the public key sign tokens.
      const allowed: readonly string[] = withSecret ? ['HS256'] : ASYMMETRIC_ALGORITHMS;
      if (values.AUTH_JWT_ALGORITHMS.some((algorithm) => !allowed.includes(algorithm))) {
        found.push({ variable: 'AUTH_JWT_ALGORITHMS', problem: `may only contain ${allowed.join(', ')} with ${withSecret ? 'AUTH_JWT_SECRET' : 'AUTH_JWKS_URL'}` });
      }
    }
  }
  return found;
}
