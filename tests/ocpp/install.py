#!/usr/bin/env python3
"""install.py LOCK DIR - the test CSMS's packages into DIR/node_modules, from a lock file.

Our own small installer instead of `npm ci`: Debian's npm package pulls about 370 packages
onto a clean machine for what is here eleven tarballs. It reads package-lock.json
(lockfileVersion 2 or 3), fetches each package's tarball from the npm registry, checks it
against the lock file's sha512 "integrity" (a mismatch or a missing sha512 is refused, so
nothing but those exact bytes is ever unpacked) and unpacks it into DIR/<path> with the
tarball's first path component stripped, as npm does. Nothing is run: no install scripts.

TLS: the system CA store first. Where the registry's chain is trusted by no store (a fresh
Debian root behind a TLS-inspecting proxy), the fetch is repeated without verification, and
says so: the sha512 still pins every byte.

The registry is $npm_config_registry, else https://registry.npmjs.org/.
"""
import base64
import hashlib
import io
import json
import os
import ssl
import sys
import tarfile
import urllib.error
import urllib.request

TIMEOUT_S = 60


def die(msg):
    print("ocpp install: " + msg, file=sys.stderr)
    sys.exit(1)


def tarball_url(registry, name, version):
    # Scoped packages (@scope/name) keep the scope in the path, the file is name-version.tgz.
    base = name.rsplit("/", 1)[-1]
    return "%s%s/-/%s-%s.tgz" % (registry, name, base, version)


class Fetcher:
    def __init__(self):
        self.verify = True
        self.said = False

    def get(self, url):
        if self.verify:
            try:
                return self._get(url, ssl.create_default_context())
            except urllib.error.URLError as e:
                if not isinstance(e.reason, ssl.SSLCertVerificationError):
                    raise
            self.verify = False
        if not self.said:
            print("ocpp install: the TLS chain to the registry is trusted by no CA store here; "
                  "fetching without TLS verification (every tarball is still checked against "
                  "the sha512 integrity in the lock file)", file=sys.stderr)
            self.said = True
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return self._get(url, ctx)

    @staticmethod
    def _get(url, ctx):
        with urllib.request.urlopen(url, timeout=TIMEOUT_S, context=ctx) as r:
            return r.read()


def check_integrity(data, integrity, what):
    # SRI: space-separated "algo-base64" entries; we require and check a sha512 one.
    want = [x[len("sha512-"):] for x in (integrity or "").split() if x.startswith("sha512-")]
    if not want:
        die("%s: the lock file has no sha512 integrity: refused" % what)
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got not in want:
        die("%s: sha512 mismatch (lock file %s, fetched %s): refused" % (what, want[0], got))


def unpack(data, dest, what):
    root = os.path.realpath(dest)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        for m in tf.getmembers():
            parts = m.name.split("/", 1)
            if len(parts) < 2 or not parts[1]:
                continue
            rel = parts[1]
            out = os.path.realpath(os.path.join(root, rel))
            if not out.startswith(root + os.sep):
                die("%s: member %r leaves the package directory: refused" % (what, m.name))
            if m.isdir():
                os.makedirs(out, exist_ok=True)
            elif m.isfile():
                os.makedirs(os.path.dirname(out), exist_ok=True)
                src = tf.extractfile(m)
                with open(out, "wb") as f:
                    f.write(src.read())
                os.chmod(out, 0o755 if m.mode & 0o111 else 0o644)
            # links and devices: not needed by a plain JS package, never unpacked


def main():
    if len(sys.argv) != 3:
        die("usage: install.py LOCK DIR")
    lock_path, dest = sys.argv[1], sys.argv[2]
    try:
        with open(lock_path) as f:
            lock = json.load(f)
    except (OSError, ValueError) as e:
        die("%s: %s" % (lock_path, e))
    pkgs = lock.get("packages")
    if lock.get("lockfileVersion") not in (2, 3) or not isinstance(pkgs, dict):
        die("%s: not a package-lock.json of version 2 or 3" % lock_path)
    registry = os.environ.get("npm_config_registry") or "https://registry.npmjs.org/"
    if not registry.endswith("/"):
        registry += "/"
    fetch = Fetcher()
    n = 0
    for path, p in sorted(pkgs.items()):
        if not path:
            continue
        if not path.startswith("node_modules/") or ".." in path.split("/"):
            die("%s: package path %r: refused" % (lock_path, path))
        if p.get("link") or p.get("dev") or p.get("optional"):
            continue
        name = path.rsplit("node_modules/", 1)[1]
        version = p.get("version")
        if not version:
            die("%s: %s has no version" % (lock_path, path))
        url = p.get("resolved") or tarball_url(registry, name, version)
        what = "%s@%s" % (name, version)
        try:
            data = fetch.get(url)
        except (urllib.error.URLError, OSError) as e:
            die("%s: fetching %s failed: %s" % (what, url, e))
        check_integrity(data, p.get("integrity"), what)
        unpack(data, os.path.join(dest, path), what)
        n += 1
    print("ocpp install: %d packages into %s, each checked against its sha512" % (n, dest))


if __name__ == "__main__":
    main()
