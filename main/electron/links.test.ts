import { describe, expect, it } from 'vitest';
import { allowedExternal } from './links';

describe('external links', () => {
  it.each(['https://docs.kernel.org/block/bfq-iosched.html', 'https://www.pdl.cmu.edu/DiskSim/'])(
    'opens the allowlisted documentation %s',
    (u) => expect(allowedExternal(u)).toBe(true),
  );
  it.each([
    'https://example.com/',
    'http://docs.kernel.org/block/',
    'https://docs.kernel.org.evil.example/block/',
    'https://user:pw@docs.kernel.org/block/',
    'https://docs.kernel.org:8443/block/',
    'https://docs.kernel.org/admin-guide/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'smb://host/share',
    'not a url',
  ])('denies %s', (u) => expect(allowedExternal(u)).toBe(false));
});
