#!/usr/bin/env python3
# edgebuild-credential-provider: a kubelet image credential provider (exec plugin).
#
# Protocol (kubernetes pkg/credentialprovider/plugin, credentialprovider.kubelet.k8s.io):
# the kubelet runs this with the `args` of its CredentialProviderConfig, writes a
# CredentialProviderRequest to stdin and reads a CredentialProviderResponse from
# stdout. The response's apiVersion must equal the request's, cacheKeyType must be
# Image, Registry or Global, and each `auth` key is matched against the image with
# the same rules as matchImages: host parts are globs, the port must match. So the
# key here is the registry exactly as the image names it, port included.
#
# A file may also be named for a kubelet glob (*.gcr.io.json): when the image's own
# registry has no file, the first glob (in name order) that matches it under the
# kubelet's rules answers, keyed by the glob, which the kubelet's keyring matches
# against the image the same way.
#
# Credentials live in <credentials-dir>/<host[:port]>.json as
# {"username": "...", "password": "..."}; the files are read on every request, so
# rotating them needs no kubelet restart. A registry without a file gets an answer
# with no credentials (the kubelet then pulls anonymously) instead of an error,
# which the kubelet would log on every pull.
#
# Secrets never leave through stderr or syslog: messages name registries and files,
# never their content. Runs on Python 3.6+ with the standard library only.
import argparse
import fnmatch
import json
import os
import re
import sys

try:
    import syslog
except ImportError:  # not on every platform; logging is best effort
    syslog = None

VERSION = "1.0.0"
API_VERSIONS = (
    "credentialprovider.kubelet.k8s.io/v1",
    "credentialprovider.kubelet.k8s.io/v1beta1",
    "credentialprovider.kubelet.k8s.io/v1alpha1",
)
# host[:port] as it may start an image name; anything else never becomes a path.
REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$")
GLOB = re.compile(r"^[a-z0-9*?]([a-z0-9*?-]*[a-z0-9*?])?(\.[a-z0-9*?]([a-z0-9*?-]*[a-z0-9*?])?)*(:[0-9]{1,5})?$")
GO_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h))+$")


class ProviderError(Exception):
    pass


def log(priority, message):
    if syslog is None:
        return
    try:
        syslog.openlog("edgebuild-credential-provider", syslog.LOG_PID, syslog.LOG_AUTH)
        syslog.syslog(priority, message)
    except Exception:  # logging must never break a pull
        pass


def registry_of(image):
    """The registry host[:port] of an image name, with Docker's rule for names without one."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def split_host_port(registry):
    host, sep, port = registry.rpartition(":")
    return (host, port) if sep and port.isdigit() else (registry, "")


def glob_matches(glob, registry):
    """The kubelet's URLsMatch for hosts: same port, same number of parts, each part a glob."""
    glob_host, glob_port = split_host_port(glob)
    host, port = split_host_port(registry)
    glob_parts, parts = glob_host.split("."), host.split(".")
    if glob_port != port or len(glob_parts) != len(parts):
        return False
    return all(fnmatch.fnmatchcase(p, g) for g, p in zip(glob_parts, parts))


def glob_key_for(credentials_dir, name):
    try:
        entries = sorted(os.listdir(credentials_dir))
    except OSError:
        return None
    for entry in entries:
        key = entry[: -len(".json")] if entry.endswith(".json") else None
        if key and any(c in key for c in "*?") and GLOB.match(key) and glob_matches(key, name):
            return key
    return None


def read_request(stream):
    try:
        request = json.load(stream)
    except ValueError as error:
        # The message of a JSON error names a position only, never the text.
        raise ProviderError("stdin is not a JSON CredentialProviderRequest (%s)" % error)
    if not isinstance(request, dict):
        raise ProviderError("stdin is not a JSON object")
    if request.get("kind") != "CredentialProviderRequest":
        raise ProviderError("kind must be CredentialProviderRequest")
    api_version = request.get("apiVersion")
    if api_version not in API_VERSIONS:
        raise ProviderError("unsupported apiVersion %r" % (api_version,))
    image = request.get("image")
    if not isinstance(image, str) or not image:
        raise ProviderError("the request has no image")
    return api_version, image


def read_credentials(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            data = json.load(handle)
    except ValueError as error:
        raise ProviderError("%s is not valid JSON (%s)" % (path, error))
    except OSError as error:
        raise ProviderError("%s cannot be read (%s)" % (path, error.strerror))
    if not isinstance(data, dict):
        raise ProviderError("%s must hold a JSON object" % path)
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise ProviderError("%s must have string fields username and password" % path)
    return username, password


def respond(api_version, cache_duration, auth):
    return {
        "apiVersion": api_version,
        "kind": "CredentialProviderResponse",
        "cacheKeyType": "Registry",
        "cacheDuration": cache_duration,
        "auth": auth,
    }


def main(argv, stdin, stdout, stderr):
    parser = argparse.ArgumentParser(prog="edgebuild-credential-provider", description="kubelet image credential provider")
    parser.add_argument("--credentials-dir", default="/etc/kubernetes/registries")
    parser.add_argument("--cache-duration", default="5m")
    parser.add_argument("--version", action="store_true")
    args = parser.parse_args(argv)
    if args.version:
        stdout.write("edgebuild-credential-provider %s\n" % VERSION)
        return 0
    try:
        if not GO_DURATION.match(args.cache_duration):
            raise ProviderError("--cache-duration %r is not a Go duration such as 5m" % args.cache_duration)
        api_version, image = read_request(stdin)
        registry = registry_of(image)
        name = registry.lower()
        auth = {}
        if REGISTRY.match(name):
            path = os.path.join(args.credentials_dir, name + ".json")
            key = registry
            if not os.path.exists(path):
                key = glob_key_for(args.credentials_dir, name)
                path = os.path.join(args.credentials_dir, key + ".json") if key else None
            if path:
                username, password = read_credentials(path)
                auth[key] = {"username": username, "password": password}
        if auth:
            log(syslog.LOG_INFO if syslog else 0, "credentials provided for %s" % registry)
        else:
            log(syslog.LOG_INFO if syslog else 0, "no credentials for %s; the kubelet pulls without them" % registry)
        json.dump(respond(api_version, args.cache_duration, auth), stdout)
        stdout.write("\n")
        return 0
    except ProviderError as error:
        stderr.write("edgebuild-credential-provider: %s\n" % error)
        log(syslog.LOG_ERR if syslog else 0, str(error))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.stdin, sys.stdout, sys.stderr))
