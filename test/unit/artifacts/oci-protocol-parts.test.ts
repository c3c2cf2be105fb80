import { describe, expect, it } from 'vitest';
import {
  assertTransportAllowed,
  isLoopbackHost,
  registryBaseUrl,
} from '../../../src/artifacts/oci/http-transport.js';
import { InsecureRegistryError } from '../../../src/artifacts/oci/oci-errors.js';
import {
  modelRepository,
  modelcarRepository,
  runsRepository,
  versionTag,
} from '../../../src/artifacts/oci/oci-names.js';
import { rangeEnd, registryErrorDetail } from '../../../src/artifacts/oci/registry-client.js';
import {
  RetryBudget,
  isRetryableStatus,
  parseRetryAfter,
} from '../../../src/artifacts/oci/retry-policy.js';
import { parseWwwAuthenticate } from '../../../src/artifacts/oci/www-authenticate.js';

describe('WWW-Authenticate challenges', () => {
  it('reads GHCR, Docker Hub, ECR and distribution challenges', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://ghcr.io/token',
          service: 'ghcr.io',
          scope: 'repository:a/b:pull',
        },
      },
    ]);
    expect(
      parseWwwAuthenticate(
        'Basic realm="https://123.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
      )[0],
    ).toMatchObject({
      scheme: 'basic',
    });
    const scoped = parseWwwAuthenticate(
      'Bearer realm="http://127.0.0.1:1/token",service="s",scope="repository:a:pull,push",error="insufficient_scope"',
    );
    expect(scoped[0]?.params['error']).toBe('insufficient_scope');
    expect(scoped[0]?.params['scope']).toBe('repository:a:pull,push');
  });

  it('splits several challenges, unquotes escapes, and yields nothing for garbage', () => {
    const two = parseWwwAuthenticate('Basic realm="a, b", Bearer realm="https://x/t",service=reg');
    expect(two.map((c) => [c.scheme, c.params['realm']])).toEqual([
      ['basic', 'a, b'],
      ['bearer', 'https://x/t'],
    ]);
    expect(two[1]?.params['service']).toBe('reg');
    expect(parseWwwAuthenticate('Bearer realm="say \\"hi\\""')[0]?.params['realm']).toBe(
      'say "hi"',
    );
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate('Bearer realm="unterminated')).toEqual([
      { scheme: 'bearer', params: {} },
    ]);
    // Parameter names never reach the prototype.
    const proto = parseWwwAuthenticate('Bearer __proto__="x",constructor="y"')[0];
    expect(Object.getPrototypeOf(proto?.params)).toBeNull();
  });
});

describe('retry policy', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('retries 5xx, 408 and 429 only', () => {
    expect([500, 502, 503, 504, 408, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 416].some(isRetryableStatus)).toBe(false);
  });

  it('backs off with full jitter, honours Retry-After, and stops at the attempts or the budget', async () => {
    const waits: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      waits.push(ms);
      return Promise.resolve();
    };
    const budget = new RetryBudget(
      { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 10_000, budgetMs: 60_000 },
      sleep,
      () => 0.5,
    );
    expect(await budget.next()).toBe(true);
    expect(await budget.next(2000)).toBe(true);
    expect(await budget.next()).toBe(true);
    expect(await budget.next()).toBe(false);
    expect(waits).toEqual([50, 2000, 200]);

    const tight = new RetryBudget({ maxAttempts: 10, budgetMs: 1000 }, sleep, () => 0.99);
    expect(await tight.next(900)).toBe(true);
    expect(await tight.next(900)).toBe(false);
    // A server asking for longer than one wait may be is not waited for.
    expect(await new RetryBudget({ maxDelayMs: 1000 }, sleep).next(5000)).toBe(false);
  });
});

describe('transport rules', () => {
  it('allows plain http only to loopback registries, as docker does', () => {
    for (const host of [
      'localhost',
      'LOCALHOST',
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '[::1]',
      'registry.localhost',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      '10.0.0.1',
      '192.168.1.5',
      '128.0.0.1',
      'ghcr.io',
      'localhost.example.com',
      '::2',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
    expect(registryBaseUrl('127.0.0.1:5000').href).toBe('http://127.0.0.1:5000/');
    expect(registryBaseUrl('[::1]:5000').href).toBe('http://[::1]:5000/');
    expect(registryBaseUrl('ghcr.io').href).toBe('https://ghcr.io/');
    expect(registryBaseUrl('registry.internal:5000').href).toBe('https://registry.internal:5000/');
    expect(() => assertTransportAllowed(new URL('http://10.0.0.1:5000/v2/'))).toThrow(
      InsecureRegistryError,
    );
    expect(() => assertTransportAllowed(new URL('http://10.0.0.1:5000/v2/'))).toThrow(
      "Refusing plain HTTP to 'http://10.0.0.1:5000/v2/': only loopback registries may use http.",
    );
    expect(() => assertTransportAllowed(new URL('ftp://ghcr.io/'))).toThrow(InsecureRegistryError);
    expect(() => assertTransportAllowed(new URL('https://ghcr.io/v2/'))).not.toThrow();
  });

  it('reads the Range an upload session reports', () => {
    expect(rangeEnd('0-1048575')).toBe(1_048_576);
    expect(rangeEnd('bytes=0-99')).toBe(100);
    expect(rangeEnd('0-0')).toBe(0);
    expect(rangeEnd(undefined)).toBe(0);
    expect(rangeEnd('5-9')).toBe(0);
  });

  it("quotes the registry's error codes, not its whole body", () => {
    expect(
      registryErrorDetail(
        '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}',
      ),
    ).toBe('DENIED: requested access to the resource is denied');
    expect(registryErrorDetail('<html>\n  bad gateway\n</html>')).toBe(
      '<html> bad gateway </html>',
    );
    expect(registryErrorDetail('x'.repeat(1000)).length).toBe(200);
  });
});

describe('repository layout names', () => {
  it('places runs, model versions and modelcars under the prefix', () => {
    expect(runsRepository('acme/ml')).toBe('acme/ml/runs');
    expect(runsRepository('')).toBe('runs');
    expect(modelRepository('acme/ml', 'iris')).toBe('acme/ml/models/iris');
    expect(modelRepository('acme/ml', 'Churn/XGB_v2')).toBe('acme/ml/models/churn/xgb_v2');
    expect(modelRepository('acme/ml', 'models:churn')).toBe('acme/ml/models/models/churn');
    expect(modelRepository('acme/ml', 'a_-b')).toBe('acme/ml/models/a-b');
    expect(modelcarRepository('acme/ml', 'iris')).toBe('acme/ml/modelcars/iris');
  });

  it('writes a SemVer version as a tag, build metadata with _ as Helm does', () => {
    expect(versionTag('v1.2.0')).toBe('v1.2.0');
    expect(versionTag('v1.2.0-rc.1+build.5')).toBe('v1.2.0-rc.1_build.5');
    expect(() => versionTag('-v1')).toThrow(/cannot be an OCI tag/);
    expect(() => versionTag('v1/2')).toThrow(/cannot be an OCI tag/);
  });
});
